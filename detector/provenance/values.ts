/**
 * The specific values an agent acts on, found in text: e-mail addresses, URLs and their hosts,
 * bare domains, IBANs and account numbers, file paths and identifiers. Each is normalised (case,
 * separators, trailing punctuation) so the same value written two ways matches, and the detector
 * remembers it only as a keyed hash (`ValueHasher`): provenance keeps no new raw content.
 * Linear-time patterns only; text is what a tool or a prompt sent, so it is attacker-controlled.
 */
import { hash, randomBytes } from 'node:crypto'

export type ValueKind = 'email' | 'url' | 'domain' | 'iban' | 'number' | 'path' | 'identifier' | 'phrase'

export interface FoundValue {
  kind: ValueKind
  /** Normalised form: what is hashed and compared. */
  value: string
  start: number
  end: number
}

/** At most this many values per text: a result of thousands of ids is data, not a target list. */
const MAX_VALUES = 256

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/g
const URL = /\bhttps?:\/\/[^\s"'<>()[\]{}|\\^`]{1,2048}/gi
const DOMAIN = /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}(?:com|org|net|io|dev|ai|co|app|info|biz|xyz|me|us|uk|de|fr|nl|ch|eu|ru|cn|top|site|online|shop)\b/gi
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g
const NUMBER = /(?<![\w.-])\d(?:[\d -]{4,30}\d)(?![\w-]|\.\d)/g
const PATH = /(?:~|\.{1,2})?(?:\/[\w.@-]{1,255}){2,32}/g
const IDENTIFIER = /\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{5,63}\b/g

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TRAILING = /[.,;:!?)\]}'"]+$/

function digitsOf(text: string): string {
  return text.replace(/[ -]/g, '')
}

/** The specific values in `text`, longest first where two overlap (a URL's host is its own value too). */
export function findValues(text: string): FoundValue[] {
  const out: FoundValue[] = []
  const taken: Array<[number, number]> = []
  const overlaps = (start: number, end: number) => taken.some(([s, e]) => start < e && end > s)
  const add = (kind: ValueKind, value: string, start: number, end: number, claim = true) => {
    if (out.length >= MAX_VALUES || value === '') return
    out.push({ kind, value, start, end })
    if (claim) taken.push([start, end])
  }
  for (const m of text.matchAll(URL)) {
    const raw = m[0].replace(TRAILING, '')
    add('url', raw.toLowerCase().replace(/\/+$/, ''), m.index, m.index + raw.length)
    const host = /^https?:\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(raw)?.[1]
    if (host) add('domain', host.toLowerCase().replace(/^www\./, ''), m.index, m.index + raw.length, false)
  }
  for (const m of text.matchAll(EMAIL)) {
    if (overlaps(m.index, m.index + m[0].length)) continue
    add('email', m[0].toLowerCase(), m.index, m.index + m[0].length)
    add('domain', m[0].slice(m[0].indexOf('@') + 1).toLowerCase(), m.index, m.index + m[0].length, false)
  }
  for (const m of text.matchAll(IBAN)) {
    if (overlaps(m.index, m.index + m[0].length)) continue
    add('iban', digitsOf(m[0]).toUpperCase(), m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(DOMAIN)) {
    if (overlaps(m.index, m.index + m[0].length)) continue
    add('domain', m[0].toLowerCase().replace(/^www\./, ''), m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(PATH)) {
    if (overlaps(m.index, m.index + m[0].length)) continue
    add('path', m[0].replace(TRAILING, ''), m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(NUMBER)) {
    if (overlaps(m.index, m.index + m[0].length)) continue
    if (DATE.test(m[0])) continue
    const digits = digitsOf(m[0])
    // six digits or more: an account, a card-like id, a phone number; shorter numbers are amounts, dates, counts
    if (digits.length >= 6) add('number', digits, m.index, m.index + m[0].length)
  }
  for (const m of text.matchAll(IDENTIFIER)) {
    if (overlaps(m.index, m.index + m[0].length)) continue
    add('identifier', m[0].toLowerCase(), m.index, m.index + m[0].length)
  }
  return out
}

/**
 * Keyed hashes of normalised values: a per-process key, so the hashes held in memory do not
 * answer a dictionary of guesses from outside. State is rebuilt by replaying events, which
 * re-hashes with the new key.
 */
export class ValueHasher {
  private readonly prefix: string

  constructor(key: Buffer = randomBytes(32)) {
    this.prefix = key.toString('hex')
  }

  /**
   * SHA-256 of a secret prefix and the value: equal values meet, and nobody without the key can
   * test a guess against a held hash. A one-shot hash, not an HMAC: the HMAC's object per call
   * cost 5.7 µs against 0.7 µs here (each value of every tool result and call is hashed), and
   * length extension is no threat to a lookup key.
   */
  hash(kind: ValueKind, value: string): string {
    return hash('sha256', `${this.prefix}${kind}\u0000${value}`, 'base64url').slice(0, 16)
  }
}

/** A phrase of 2–8 words as compared: lower case, words only, single spaces. */
function normalPhrase(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
}

const PHRASE_MIN = 2
const PHRASE_MAX = 8
/** At most this many phrases are remembered per text: instructions are short, data is not read this way. */
const MAX_PHRASES = 512

/** Every run of 2–8 words in `text` (normalised), for names a call can take from a text (a hotel, a channel). */
export function phrasesOf(text: string): string[] {
  const words = normalPhrase(text).split(' ').filter((w) => w !== '')
  const out: string[] = []
  for (let i = 0; i < words.length && out.length < MAX_PHRASES; i++) {
    for (let n = PHRASE_MIN; n <= PHRASE_MAX && i + n <= words.length; n++) out.push(words.slice(i, i + n).join(' '))
  }
  return out
}

/** The string values of a call's arguments (JSON), each a candidate name of 2–8 words. */
export function argumentPhrases(argumentsText: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(argumentsText)
  } catch {
    return []
  }
  const out: string[] = []
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || out.length >= 64) return
    if (typeof value === 'string') {
      const phrase = normalPhrase(value)
      const words = phrase === '' ? 0 : phrase.split(' ').length
      if (words >= PHRASE_MIN && words <= PHRASE_MAX && phrase.length <= 80) out.push(phrase)
    } else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1)
    else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) visit(item, depth + 1)
  }
  visit(parsed, 0)
  return out
}
