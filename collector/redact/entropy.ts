/**
 * High-entropy token detection: finds strings that look randomly generated (keys, tokens) while
 * leaving ids and words alone. Measured choices (see docs/conventions.md, "Redaction"):
 * - only runs of 20+ token characters are candidates;
 * - hex-only strings (span/trace ids, UUIDs, digests) and SRI digests are never flagged;
 * - identifiers built from simple segments (words, numbers, hex, short pieces) are never flagged;
 * - nor are structured identifiers: runs without lower-case letters (booking and confirmation
 *   codes, IBANs, serials), object ids behind a short type prefix (`call_…`, `toolu_…`, `cus_…`,
 *   `chatcmpl-…`) and runs labelled as ids ("Order ID: …", `"file_id": "…"`, "#…"). Credentials
 *   with a type prefix are found by their known format (patterns.ts) before this pass;
 * - the rest is flagged when Shannon entropy ≥ 3.5 bits/char AND character-class switches are
 *   frequent (random text switches class every ~2 chars, camelCase words every ~6).
 */

const MIN_TOKEN_LENGTH = 20
const MIN_ENTROPY_BITS = 3.5
const MIN_SWITCH_RATIO_SHORT = 0.3
const MIN_SWITCH_RATIO_LONG = 0.22
const LONG_TOKEN_LENGTH = 32

/**
 * Maximal runs of characters that make up base64, base64url and typical API-key alphabets. The
 * lookbehind makes the scan linear: a run is only tried from its first character.
 */
export const TOKEN_RUN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{20,}/g

/** Code units of TOKEN_RUN's character class, as a lookup table. */
const TOKEN_CHAR = new Uint8Array(128)
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-') TOKEN_CHAR[char.charCodeAt(0)] = 1

/**
 * The end (exclusive) of the next TOKEN_RUN match starting at or after `from`, with its start in
 * `start[0]`; -1 when there is none. Same matches as TOKEN_RUN, several times faster than its
 * lookbehind on prose.
 */
export function nextTokenRun(text: string, from: number, start: number[]): number {
  let i = from
  while (i < text.length) {
    while (i < text.length && !isTokenChar(text.charCodeAt(i))) i++
    const runStart = i
    while (i < text.length && isTokenChar(text.charCodeAt(i))) i++
    if (i - runStart >= MIN_TOKEN_LENGTH) {
      start[0] = runStart
      return i
    }
  }
  return -1
}

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHAR[code] === 1
}

function shannonEntropy(value: string): number {
  if (value.length === 0) return 0
  const counts = new Map<string, number>()
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1)
  let bits = 0
  for (const count of counts.values()) {
    const p = count / value.length
    bits -= p * Math.log2(p)
  }
  return bits
}

const LOWER = 1
const UPPER = 2
const DIGIT = 3
const OTHER = 4

function charClass(code: number): number {
  if (code >= 97 && code <= 122) return LOWER
  if (code >= 65 && code <= 90) return UPPER
  if (code >= 48 && code <= 57) return DIGIT
  return OTHER
}

/** Share of adjacent pairs that change character class; a capital starting a word does not count. */
function classSwitchRatio(value: string): number {
  if (value.length < 2) return 0
  let switches = 0
  let previous = charClass(value.charCodeAt(0))
  for (let i = 1; i < value.length; i++) {
    const current = charClass(value.charCodeAt(i))
    if (current !== previous && !(previous === UPPER && current === LOWER)) switches++
    previous = current
  }
  return switches / (value.length - 1)
}

const HEX_OR_UUID = /^[0-9a-fA-F-]+$/
const SRI_DIGEST = /^sha(?:1|256|384|512)-/

/** The characters that part a token into segments (- _ . / +), as the code units they are. */
function isSeparator(code: number): boolean {
  return code === 45 || code === 95 || code === 46 || code === 47 || code === 43
}

/** At most six characters, or letters only, digits only, or hex digits only. */
function isSimpleSegment(token: string, start: number, end: number): boolean {
  if (end - start <= 6) return true
  let letters = true
  let digits = true
  let hex = true
  for (let i = start; i < end && (letters || digits || hex); i++) {
    const code = token.charCodeAt(i)
    const digit = code >= 48 && code <= 57
    letters &&= (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
    digits &&= digit
    hex &&= digit || (code >= 65 && code <= 70) || (code >= 97 && code <= 102)
  }
  return letters || digits || hex
}

/**
 * Whether every segment between separators is simple: an identifier built of words, numbers and
 * ids. Read in place, as most candidates end here: no array of segments per candidate.
 */
export function hasOnlySimpleSegments(token: string): boolean {
  let start = 0
  for (let i = 0; i <= token.length; i++) {
    if (i < token.length && !isSeparator(token.charCodeAt(i))) continue
    if (!isSimpleSegment(token, start, i)) return false
    start = i + 1
  }
  return true
}

function withoutPadding(candidate: string): string {
  let end = candidate.length
  while (end > 0 && candidate.charCodeAt(end - 1) === 61) end--
  return end === candidate.length ? candidate : candidate.slice(0, end)
}

/** Random keys are drawn from both cases; codes people read out or type (PNRs, IBANs) are not. */
const NO_LOWER_CASE = /^[^a-z]+$/

/**
 * An object id names its type in a short lower-case prefix (`call_`, `msg_`, `cus_`, `chatcmpl-`).
 * A prefix that names a credential (`sk_`, `secret-`, `api_`) keeps the token a candidate.
 */
const TYPE_PREFIX = /^([a-z]{1,12})[_-][A-Za-z0-9]/
const CREDENTIAL_PREFIX = /key|secret|sec|token|tok|pass|pwd|pw|auth|pat|cred|sess|sk|rk|api/

function isPrefixedObjectId(token: string): boolean {
  const prefix = TYPE_PREFIX.exec(token)
  return prefix !== null && !CREDENTIAL_PREFIX.test(prefix[1])
}

/**
 * The text just before a run labels it as an id: "Order ID: X", "booking reference X",
 * `"file_id": "X"`, "#X". A session id is a credential, so `session_id` is no such label.
 */
const ID_LABEL =
  /(?:(?<!session[ _.-]?)(?:\b|(?<=_))ids?|\b(?:no|number|ref|reference|order|booking|confirmation|ticket|tracking|reservation|invoice|transaction|receipt|case|record))["'\]]?\s*(?:#|:|=|is)?\s*["'`(<]?\s*$|#$/i
const LABEL_LOOKBACK = 40

export function followsIdLabel(text: string, runStart: number): boolean {
  return ID_LABEL.test(text.slice(Math.max(0, runStart - LABEL_LOOKBACK), runStart))
}

export function isHighEntropyToken(candidate: string): boolean {
  const token = withoutPadding(candidate)
  if (token.length < MIN_TOKEN_LENGTH) return false
  if (HEX_OR_UUID.test(token) || SRI_DIGEST.test(token)) return false
  if (NO_LOWER_CASE.test(token) || isPrefixedObjectId(token)) return false
  if (hasOnlySimpleSegments(token)) return false
  if (shannonEntropy(token) < MIN_ENTROPY_BITS) return false
  const minSwitches = token.length >= LONG_TOKEN_LENGTH ? MIN_SWITCH_RATIO_LONG : MIN_SWITCH_RATIO_SHORT
  return classSwitchRatio(token.replace(/[-_./+]/g, '')) >= minSwitches
}
