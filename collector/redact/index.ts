/**
 * Redaction: text in, the same text with secrets replaced by `[REDACTED:<kind>]` out, plus the
 * kinds found. Known token formats first (patterns.ts), then high-entropy tokens (entropy.ts).
 * Also: fingerprints for credential ids that are raw secrets, and sensitive attribute names.
 * Does not yet: learn per-tenant custom patterns or detect secrets split across several values.
 */
export { fingerprint, isRememberedClean, looksLikeRawSecret, redactAttributeInto, redactInto, redactScalarAttributeInto, redactText, rememberedTest } from './redact.js'

export { isHighEntropyToken } from './entropy.js'
export { secretCategory } from './kinds.js'
