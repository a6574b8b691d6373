import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compareEvents, EVENT_KINDS, emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { comparatorSortCount, sortEvents } from './event-order.js'

const BASE_MS = 1_764_000_000_000

/** Times as the mapper makes them (whole microseconds), some with a fraction of a microsecond. */
const packableTs = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 50 }).map((micros) => BASE_MS + micros / 1000) },
  // Steps of 2^-12 ms (0.24 µs, a double's resolution at today's epoch milliseconds): several fall in one microsecond.
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }).map((steps) => BASE_MS + steps * 2 ** -12) },
)
const packable = fc.record({ ts: packableTs, seq: fc.integer({ min: 0, max: 255 }).map((seq) => seq % 4 === 3 ? seq : seq % 3), kind: fc.constantFrom(...EVENT_KINDS) })
/** Also what the packed keys cannot hold: long batches, large seqs, times that are not finite. */
const anyEvent = fc.record({
  ts: fc.oneof({ weight: 6, arbitrary: packableTs }, { weight: 1, arbitrary: fc.constantFrom(BASE_MS + 30 * 60_000, 0, -1, Number.NaN, Number.POSITIVE_INFINITY) }),
  seq: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 250, max: 300 }) }),
  kind: fc.constantFrom(...EVENT_KINDS),
})

const build = (parts: Array<{ ts: number; seq: number; kind: PrivpathEvent['kind'] }>) =>
  parts.map((part, index) => ({ ...emptyEvent(), ...part, event_id: String(index) }))

describe('sortEvents', () => {
  const sameAsComparator = (parts: Array<{ ts: number; seq: number; kind: PrivpathEvent['kind'] }>) => {
    const expected = build(parts).sort(compareEvents).map((e) => e.event_id)
    expect(sortEvents(build(parts)).map((e) => e.event_id)).toEqual(expected)
  }

  it('orders exactly as a stable sort with compareEvents does', () => {
    fc.assert(fc.property(fc.array(packable, { maxLength: 200 }), sameAsComparator), { numRuns: 500 })
  })

  it('does so too for batches the packed keys cannot hold', () => {
    fc.assert(fc.property(fc.array(anyEvent, { maxLength: 60 }), sameAsComparator), { numRuns: 500 })
  })

  it('sorts batches of whole-microsecond times by packed keys, without falling back to the comparator', () => {
    const before = comparatorSortCount()
    const wholeMicros = fc.record({ ts: fc.integer({ min: 0, max: 5_000 }).map((micros) => BASE_MS + micros / 1000), seq: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom(...EVENT_KINDS) })
    fc.assert(fc.property(fc.array(wholeMicros, { maxLength: 300 }), sameAsComparator), { numRuns: 300 })
    expect(comparatorSortCount()).toBe(before)
  })

  it('keeps arrival order among events with the same time, seq and kind rank, and sorts batches past the packed bounds too', () => {
    const same = build(Array.from({ length: 50 }, (_, i) => ({ ts: BASE_MS, seq: 0, kind: i % 2 === 0 ? 'prompt' : 'tool_invocation' })))
    expect(sortEvents([...same]).map((e) => e.event_id)).toEqual(same.map((e) => e.event_id))
    const many = build(Array.from({ length: 9_000 }, (_, i) => ({ ts: BASE_MS + ((i * 7919) % 9_000) / 1000, seq: 0, kind: 'other' })))
    expect(sortEvents([...many]).map((e) => e.ts)).toEqual([...many].sort(compareEvents).map((e) => e.ts))
  })
})
