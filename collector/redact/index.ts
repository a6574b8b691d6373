/**
 * Redaction: text in, the same text with secrets replaced by `[REDACTED:<kind>]` out, plus the
 * kinds found. Known token formats first (patterns.ts), then high-entropy tokens (entropy.ts).
 * Also: fingerprints for credential ids that are raw secrets, and sensitive attribute names.
 * Does not yet: learn per-tenant custom patterns or detect secrets split across several values.
 */
export { fingerprint, HIGH_ENTROPY_KIND, isRememberedClean, isSensitiveAttributeName, looksLikeRawSecret, placeholder, redactAttribute, redactAttributeInto, redactInto, redactScalarAttributeInto, redactText, rememberedTest, SENSITIVE_ATTRIBUTE_KIND } from './redact.js'
export type { Redaction } from './redact.js'
export { classSwitchRatio, isHighEntropyToken, shannonEntropy } from './entropy.js'
export { SECRET_PATTERNS } from './patterns.js'
export type { SecretPattern } from './patterns.js'
