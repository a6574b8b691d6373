import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EVENT_KINDS, eventId } from './event.js'

const hexId = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))
const logStandIn = fc.tuple(hexId(8), hexId(8)).map(([span, digest]) => `${span}/log/${digest}`)
const parts = fc.tuple(
  fc.oneof(hexId(16), fc.constant('')),
  fc.oneof(hexId(8), logStandIn, fc.constant('')),
  fc.constantFrom(...EVENT_KINDS),
  fc.nat(100_000),
  fc.nat(1_000),
)

describe('eventId', () => {
  it('is the same for the same span, kind, seq and position', () => {
    fc.assert(fc.property(parts, ([trace, span, kind, seq, position]) => {
      expect(eventId(trace, span, kind, seq, position)).toBe(eventId(trace, span, kind, seq, position))
    }))
  })

  it('differs whenever any one part differs', () => {
    fc.assert(
      fc.property(parts, parts, fc.nat(4), (a, other, which) => {
        const b = [...a] as typeof a
        ;(b as unknown[])[which] = other[which]
        fc.pre(a[which] !== b[which])
        expect(eventId(...a)).not.toBe(eventId(...b))
      }),
      { numRuns: 5_000 },
    )
  })

  it('differs for parts that only share digits or a prefix', () => {
    const trace = 'ab'.repeat(16)
    const span = 'cd'.repeat(8)
    const ids = [
      eventId(trace, span, 'tool_invocation', 1, 0),
      eventId(trace, span, 'tool_invocation', 11, 0),
      eventId(trace, span, 'tool_invocation', 1, 1),
      eventId(trace, span, 'tool_invocation', 11, 1),
      eventId(trace, span, 'credential_used', 1, 1),
      eventId('', `${span}/log/${span}`, 'other', 0, 0),
      eventId('', span, 'other', 0, 0),
    ]
    expect(new Set(ids).size).toBe(ids.length)
  })
})
