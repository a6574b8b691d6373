import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isHighEntropyToken, redactScalarAttributeInto, redactText } from './index.js'

/** Deterministic random-looking material from a seed: what a real key generator would emit. */
function material(seed: number, alphabet: string, length: number): string {
  let out = ''
  let block = 0
  while (out.length < length) {
    for (const byte of createHash('sha256').update(`${seed}:${block++}`).digest()) {
      out += alphabet[byte % alphabet.length]
      if (out.length === length) break
    }
  }
  return out
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const ALNUM = `${UPPER}abcdefghijklmnopqrstuvwxyz0123456789`
const B64URL = `${ALNUM}-_`

interface Seeded {
  secret: string
  /** The random part that must not survive, in any 12-character window. */
  body: string
}

const SECRET_KINDS: Record<string, (seed: number) => Seeded> = {
  aws_access_key_id: (seed) => {
    const body = material(seed, `${UPPER}234567`, 16)
    return { secret: `AKIA${body}`, body }
  },
  aws_secret_access_key: (seed) => {
    const body = material(seed, `${ALNUM}/+`, 40)
    return { secret: `aws_secret_access_key=${body}`, body }
  },
  github_token: (seed) => {
    const body = material(seed, ALNUM, 36)
    return { secret: `ghp_${body}`, body }
  },
  github_pat: (seed) => {
    const body = material(seed, `${ALNUM}_`, 59)
    return { secret: `github_pat_${body}`, body }
  },
  slack_token: (seed) => {
    const body = material(seed, ALNUM, 24)
    return { secret: `xoxb-1234567890-${body}`, body }
  },
  jwt: (seed) => {
    const body = material(seed, B64URL, 43)
    return { secret: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ${material(seed + 1, B64URL, 20)}.${body}`, body }
  },
  pem_private_key: (seed) => {
    const body = material(seed, `${ALNUM}+/`, 64)
    return { secret: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`, body }
  },
  bearer: (seed) => {
    const body = material(seed, B64URL, 32)
    return { secret: `Authorization: Bearer ${body}`, body }
  },
  url_password: (seed) => {
    const body = material(seed, ALNUM, 14)
    return { secret: `https://svc:${body}@api.internal/x`, body }
  },
  password_pair: (seed) => {
    const body = material(seed, ALNUM, 14)
    return { secret: `password=${body}`, body }
  },
  api_key_pair: (seed) => {
    const body = material(seed, ALNUM, 14)
    return { secret: `"api_key": "${body}"`, body }
  },
  openai_key: (seed) => {
    const body = material(seed, ALNUM, 48)
    return { secret: `sk-${body}`, body }
  },
}

function windows(body: string, size = 12): string[] {
  const out: string[] = []
  for (let i = 0; i + size <= body.length; i++) out.push(body.slice(i, i + size))
  return out.length > 0 ? out : [body]
}

/** Random text: printable ASCII, unicode, newlines; the secret is placed between two delimiters. */
const text = fc.string({ unit: fc.oneof(fc.constantFrom(...' \n\t.,:;"\'()[]{}<>=&'), fc.string({ minLength: 1, maxLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 200 })
const delimiter = fc.constantFrom(' ', '\n', '"', "'", ',', '(', ')', '[', ']', '<', '>', '\t', ' | ')

describe('a seeded secret never survives', () => {
  for (const [kind, make] of Object.entries(SECRET_KINDS)) {
    it(kind, () => {
      fc.assert(
        fc.property(fc.integer(), text, text, delimiter, delimiter, (seed, before, after, left, right) => {
          const { secret, body } = make(seed)
          const out = redactText(`${before}${left}${secret}${right}${after}`).text
          for (const window of windows(body)) expect(out).not.toContain(window)
        }),
        { numRuns: 300 },
      )
    })
  }

  it('distinctive-prefix tokens glued to arbitrary text', () => {
    const glued = ['aws_access_key_id', 'github_token', 'github_pat', 'slack_token', 'jwt', 'pem_private_key']
    fc.assert(
      fc.property(fc.constantFrom(...glued), fc.integer(), fc.string(), fc.string(), (kind, seed, before, after) => {
        const { secret, body } = SECRET_KINDS[kind](seed)
        const out = redactText(`${before}${secret}${after}`).text
        for (const window of windows(body)) expect(out).not.toContain(window)
      }),
      { numRuns: 1000 },
    )
  })

  it('redaction is idempotent', () => {
    fc.assert(
      fc.property(fc.integer(), text, fc.constantFrom(...Object.keys(SECRET_KINDS)), (seed, around, kind) => {
        const once = redactText(`${around} ${SECRET_KINDS[kind](seed).secret} ${around}`).text
        expect(redactText(once).text).toBe(once)
      }),
      { numRuns: 300 },
    )
  })
})

describe('high-entropy detection rates (fixed seeds, statistical)', () => {
  it('flags ≥ 99% of random 40-char base64 secrets and ≥ 88% of 20-char alphanumeric ones', () => {
    let long = 0
    let short = 0
    const n = 5000
    for (let seed = 0; seed < n; seed++) {
      if (isHighEntropyToken(material(seed, `${ALNUM}+/`, 40))) long++
      if (isHighEntropyToken(material(seed + n, ALNUM, 20))) short++
    }
    expect(long / n).toBeGreaterThanOrEqual(0.99)
    expect(short / n).toBeGreaterThanOrEqual(0.88)
  })

  it('never flags UUIDs or hex ids', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.stringMatching(/^[0-9a-f]{16,64}$/), (uuid, hex) => {
        expect(redactText(`task ${uuid} span ${hex}`).kinds).toEqual([])
      }),
      { numRuns: 500 },
    )
  })
})

describe('numbers and booleans', () => {
  // Why redactScalarAttributeInto may skip the scan: no number or boolean, as text, holds anything it finds.
  it('as text, never contain a token format or a high-entropy run', () => {
    const scalar = fc.oneof(fc.double(), fc.integer(), fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n }), fc.boolean(), fc.constantFrom(1e21, -1e-7, Number.MAX_VALUE, Number.MIN_VALUE, Number.NaN, -Infinity))
    fc.assert(
      fc.property(scalar, (value) => {
        expect(redactText(String(value))).toEqual({ text: String(value), kinds: [] })
      }),
      { numRuns: 2_000 },
    )
  })

  it('are still redacted whole under a secret name', () => {
    const kinds: string[] = []
    expect(redactScalarAttributeInto('db.password', '123456', kinds)).toBe('[REDACTED:sensitive_attribute]')
    expect(redactScalarAttributeInto('gen_ai.usage.input_tokens', '123456', kinds)).toBe('123456')
    expect(redactScalarAttributeInto('db.password', '', kinds)).toBe('')
    expect(kinds).toEqual(['sensitive_attribute'])
  })
})
