import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRememberedClean, redactAttribute, redactAttributeInto, redactInto, redactText } from './redact.js'

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

  it('give the same answer for a value seen before when asked to remember, clean or not', () => {
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join('')), { maxLength: 8 }), (values) => {
        for (const value of [...values, ...values]) {
          const kinds: string[] = []
          const first = redactInto(value, kinds, true)
          const again: string[] = []
          expect(redactInto(value, again, true)).toBe(first)
          expect(again).toEqual(kinds)
          expect(redactText(value).text).toBe(first)
        }
      }),
      { numRuns: 300 },
    )
    for (let round = 0; round < 3; round++) {
      const kinds: string[] = []
      expect(redactInto(`token ${GHP}`, kinds, true)).toBe('token [REDACTED:github_token]')
      expect(kinds).toEqual(['github_token'])
    }
  })

  it('remember only short clean values, and only when asked', () => {
    redactInto('gpt-4o-remembered', [], true)
    redactInto('not-asked-to-remember', [])
    redactInto(`token ${GHP}`, [], true)
    redactInto(`long ${'x y '.repeat(70)}`, [], true)
    redactAttributeInto('db.password', 'hunter2-remembered?', [], true)
    expect(isRememberedClean('gpt-4o-remembered')).toBe(true)
    expect(isRememberedClean('not-asked-to-remember')).toBe(false)
    expect(isRememberedClean(`token ${GHP}`)).toBe(false)
    expect(isRememberedClean(`long ${'x y '.repeat(70)}`)).toBe(false)
    expect(isRememberedClean('hunter2-remembered?')).toBe(false)
    // A remembered value under a secret-named attribute is still redacted wholly.
    expect(redactAttributeInto('db.password', 'gpt-4o-remembered', [], true)).toBe('[REDACTED:sensitive_attribute]')
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
