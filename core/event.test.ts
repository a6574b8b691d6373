import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EVENT_KINDS, eventId } from './event.js'

// Small, ambiguity-prone alphabets: ids that are prefixes of each other, numbers that share digits.
const ids = fc.constantFrom('', 'ab', 'abab', 'ab/log/cd', 'abab/log/cd')
const numbers = fc.constantFrom(0, 1, 10, 11, 100, 101, 1000)
const parts = fc.tuple(ids, ids, fc.constantFrom(...EVENT_KINDS), numbers, numbers)

describe('eventId', () => {
  it('gives two events the same id only when trace, span, kind, seq and position are all the same', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        expect(eventId(...a) === eventId(...b)).toBe(a.every((part, i) => part === b[i]))
      }),
      { numRuns: 5_000 },
    )
  })

  it('reads back as its parts', () => {
    fc.assert(
      fc.property(parts, ([trace, span, kind, seq, position]) => {
        const [t, s, q, p, k] = eventId(trace, span, kind, seq, position).split('.')
        expect([t, s, k, Number(q), Number(p)]).toEqual([trace, span, kind, seq, position])
      }),
    )
  })

  it('sorts the events of one span and seq by position, as they were derived', () => {
    const trace = 'ab'.repeat(16)
    const span = 'cd'.repeat(8)
    const ids = [0, 1, 2, 9, 10, 11, 99, 100, 999].map((position, i) => eventId(trace, span, i === 0 ? 'tool_invocation' : 'reasoning_step', 3, position))
    expect([...ids].sort()).toEqual(ids)
    expect(eventId(trace, span, 'tool_invocation', 0, 0) < eventId(trace, span, 'credential_used', 0, 1)).toBe(true)
  })
})
