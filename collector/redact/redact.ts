/** Redaction of text and attribute values: known token formats, sensitive names, high-entropy runs (see index.ts). */
import { createHash } from 'node:crypto'
import { followsIdLabel, isHighEntropyToken, nextTokenRun } from './entropy.js'
import { mayContainPattern, SECRET_PATTERNS } from './patterns.js'

export interface Redaction {
  text: string
  /** Distinct kinds replaced, in order of first detection; empty when nothing was found. */
  kinds: string[]
}

const HIGH_ENTROPY_KIND = 'high_entropy'
const SENSITIVE_ATTRIBUTE_KIND = 'sensitive_attribute'

function placeholder(kind: string): string {
  return `[REDACTED:${kind}]`
}

export function redactText(text: string): Redaction {
  const kinds: string[] = []
  return { text: redactInto(text, kinds), kinds }
}

/**
 * redactText for callers that gather the kinds of many values: each kind found is appended to
 * `kinds` unless already there, and the redacted text is returned (`text` itself when clean).
 * `remember` is for names and attribute values, which repeat from span to span: see knownClean.
 */
export function redactInto(text: string, kinds: string[], remember = false): string {
  const rememberable = remember && text.length <= MAX_REMEMBERED_CHARS
  if (rememberable && knownClean.has(text)) return text
  const patternsDone = mayContainPattern(text) ? replacePatterns(text, kinds) : text
  const result = replaceHighEntropy(patternsDone, kinds)
  if (rememberable && result === text) rememberClean(text)
  return result
}

/*
 * Model and tool names, hosts and service names repeat from span to span, and each scan costs two
 * gate expressions and an entropy pass. Short values found clean are remembered when the caller
 * asks, and only those: a secret is never kept beyond the request that carried it, and callers do
 * not ask for content (prompts, reasoning, tool arguments), which may hold personal data. The set
 * is bounded and starts afresh when full.
 */
const MAX_REMEMBERED_CHARS = 128
const MAX_REMEMBERED = 16_384
const knownClean = new Set<string>()

/** Whether `text` is remembered as clean (for tests and diagnostics). */
export function isRememberedClean(text: string): boolean {
  return knownClean.has(text)
}

/** Both memos start afresh when full rather than tracking what was used least. */
function makeRoom(memo: Set<string> | Map<string, boolean>): void {
  if (memo.size >= MAX_REMEMBERED) memo.clear()
}

function rememberClean(text: string): void {
  makeRoom(knownClean)
  knownClean.add(text)
}

function note(kinds: string[], kind: string): string {
  if (!kinds.includes(kind)) kinds.push(kind)
  return placeholder(kind)
}

function replacePatterns(text: string, kinds: string[]): string {
  let result = text
  for (const { kind, regex, hint } of SECRET_PATTERNS) {
    if (hint !== undefined && !result.includes(hint)) continue
    regex.lastIndex = 0
    result = result.replace(regex, (match: string, ...rest: unknown[]) => {
      const groups = rest.at(-1)
      const secret =
        typeof groups === 'object' && groups !== null
          ? Object.values(groups as Record<string, string | undefined>).find((value) => value !== undefined)
          : undefined
      if (secret === undefined) return note(kinds, kind)
      return match.slice(0, match.length - secret.length) + note(kinds, kind)
    })
  }
  return result
}

/** Replaces high-entropy runs; returns `text` itself (no copy) when none is found. */
function replaceHighEntropy(text: string, kinds: string[]): string {
  let out = ''
  let copied = 0
  const start = [0]
  for (let end = nextTokenRun(text, 0, start); end !== -1; end = nextTokenRun(text, end, start)) {
    if (!isHighEntropyToken(text.slice(start[0], end)) || followsIdLabel(text, start[0])) continue
    out += text.slice(copied, start[0]) + note(kinds, HIGH_ENTROPY_KIND)
    copied = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/** Attribute names whose whole value is a secret whatever it looks like (`db.password`, `http.request.header.authorization`). */
const SENSITIVE_NAME =
  /(?:^|[._-])(?:password|passwd|passphrase|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|refresh[_-]?token|id[_-]?token|session[_-]?token|authorization|cookie|set-cookie|private[_-]?key|client[_-]?secret|secret[_-]?key)$/i

/**
 * `pattern.test`, with its verdicts remembered by text: attribute names, which are the same few
 * dozen with every span. Bounded like knownClean; names longer than a remembered value are tested
 * each time.
 */
export function rememberedTest(pattern: RegExp): (name: string) => boolean {
  // A global or sticky expression's test() depends on where the last one stopped.
  if (pattern.global || pattern.sticky) throw new Error(`rememberedTest needs a stateless expression, got flags "${pattern.flags}"`)
  const verdicts = new Map<string, boolean>()
  return (name) => {
    let verdict = verdicts.get(name)
    if (verdict === undefined) {
      verdict = pattern.test(name)
      if (name.length <= MAX_REMEMBERED_CHARS) {
        makeRoom(verdicts)
        verdicts.set(name, verdict)
      }
    }
    return verdict
  }
}

export const isSensitiveAttributeName = rememberedTest(SENSITIVE_NAME)

/** Redacts an attribute value, wholly when its name says it is a secret. */
export function redactAttribute(name: string, value: string): Redaction {
  const kinds: string[] = []
  return { text: redactAttributeInto(name, value, kinds), kinds }
}

/** redactAttribute appending the kinds found to `kinds`, as redactInto does (and remembering as it does). */
export function redactAttributeInto(name: string, value: string, kinds: string[], remember = false): string {
  if (value !== '' && isSensitiveAttributeName(name)) return note(kinds, SENSITIVE_ATTRIBUTE_KIND)
  return redactInto(value, kinds, remember)
}

/**
 * redactAttributeInto for a number or boolean: only its name can make it a secret. Its text is
 * digits, a sign, a point, an exponent or a word, which no token format matches and no
 * high-entropy run can be made of (a run of digits is hex), so it is not scanned, nor remembered:
 * counts and sizes would crowd the names and hosts out of knownClean.
 */
export function redactScalarAttributeInto(name: string, value: string, kinds: string[]): string {
  return value !== '' && isSensitiveAttributeName(name) ? note(kinds, SENSITIVE_ATTRIBUTE_KIND) : value
}

/**
 * A credential id that is itself the secret rather than a handle to one: it contains a known token
 * format or a high-entropy run (20+ characters by construction). UUIDs and `cred-<hex>` handles pass.
 */
export function looksLikeRawSecret(value: string): boolean {
  return redactText(value).kinds.length > 0
}

export function fingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex')}`
}
