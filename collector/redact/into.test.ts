import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { redactAttribute, redactAttributeInto, redactInto, redactText } from './index.js'

const GHP = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'
const piece = fc.oneof(fc.constantFrom(GHP, 'password=hunter2', 'AKIAIOSFODNN7EXAMPLE', ' ', 'text', 'Bearer abcdefgh12345'), fc.string({ maxLength: 8 }))

describe('redactInto and redactAttributeInto', () => {
  it('return what redactText returns and append only kinds not yet gathered, in order found', () => {
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 6 }), { maxLength: 4 }), (values) => {
        const gathered: string[] = []
        const expected: string[] = []
        for (const value of values.map((pieces) => pieces.join(''))) {
          const alone = redactText(value)
          expect(redactInto(value, gathered)).toBe(alone.text)
          for (const kind of alone.kinds) if (!expected.includes(kind)) expected.push(kind)
          expect(gathered).toEqual(expected)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('return the same string, untouched, when nothing is found', () => {
    const kinds: string[] = ['earlier']
    const clean = 'read /data/tenant-1/report.csv'
    expect(redactInto(clean, kinds)).toBe(clean)
    expect(kinds).toEqual(['earlier'])
  })

  it('give the same answer for a value seen before, clean or not (clean short values are remembered, secrets never)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join('')), { maxLength: 8 }), (values) => {
        for (const value of [...values, ...values]) {
          const kinds: string[] = []
          const first = redactInto(value, kinds)
          const again: string[] = []
          expect(redactInto(value, again)).toBe(first)
          expect(again).toEqual(kinds)
        }
      }),
      { numRuns: 300 },
    )
    for (let round = 0; round < 3; round++) {
      const kinds: string[] = []
      expect(redactInto(`token ${GHP}`, kinds)).toBe('token [REDACTED:github_token]')
      expect(kinds).toEqual(['github_token'])
    }
  })

  it('redact a secret-named attribute wholly, as redactAttribute does', () => {
    const kinds: string[] = []
    expect(redactAttributeInto('db.password', 'x', kinds)).toBe(redactAttribute('db.password', 'x').text)
    expect(redactAttributeInto('db.password', 'y', kinds)).toBe('[REDACTED:sensitive_attribute]')
    expect(redactAttributeInto('note', `see ${GHP}`, kinds)).toBe('see [REDACTED:github_token]')
    expect(kinds).toEqual(['sensitive_attribute', 'github_token'])
    expect(redactAttributeInto('db.password', '', kinds)).toBe('')
  })
})
