import { describe, expect, it } from 'vitest'
import { compareEvents, type PrivpathEvent } from '../../core/event.js'
import { span, traceRequest, type SpanInit } from '../../testkit/otlp-builders.js'
import { mapTraceRequest } from '../mapping/index.js'
import { Correlator } from './correlator.js'

const NOW = Date.parse('2026-06-01T12:00:00Z')
const Y2100 = Date.parse('2100-01-01T00:00:00Z')

function rootEvents(init: Omit<SpanInit, 'spanId'>): PrivpathEvent[] {
  const correlator = new Correlator({ graceWindowMs: 1_000, maxHeldSpans: 10, maxKnownSpans: 10 })
  const records = mapTraceRequest(traceRequest([span({ spanId: 'root', ...init })]), { observedAt: NOW })
  return correlator.add(records, NOW)[0].events
}

const row = (event: PrivpathEvent) => [event.kind, event.ts, event.seq, event.flags.includes('clock_skew'), event.attributes['privpath.original_ts']]

describe('task boundaries and bounded time', () => {
  it('a span whose start is fine but whose end is in 2100 ends its task at the receive time, flagged', () => {
    const events = rootEvents({ startMs: NOW - 1_000, endMs: Y2100, events: [{ name: 'approval', atMs: NOW - 500 }] })
    expect(events.map(row)).toEqual([
      ['task_start', NOW - 1_000, 0, false, undefined],
      ['approval', NOW - 500, 1, false, undefined],
      ['task_end', NOW, 2, true, '2100-01-01T00:00:00Z'],
    ])
  })

  it('a span dated wholly in 2100 keeps its order at one instant: by seq, task_start first and task_end last', () => {
    const events = rootEvents({
      startMs: Y2100,
      endMs: Y2100 + 2_000,
      events: [
        { name: 'authz.decision', atMs: Y2100 + 1_500, attributes: { 'authz.result': 'allow' } },
        { name: 'approval', atMs: Y2100 + 1_000 },
      ],
    })
    expect(events.every((event) => event.ts === NOW && event.flags.includes('clock_skew'))).toBe(true)
    const ordered = [...events].sort(compareEvents)
    expect(ordered.map((event) => [event.kind, event.attributes['privpath.original_ts']])).toEqual([
      ['task_start', '2100-01-01T00:00:00Z'],
      ['authz_decision', '2100-01-01T00:00:01.500Z'],
      ['approval', '2100-01-01T00:00:01Z'],
      ['task_end', '2100-01-01T00:00:02Z'],
    ])
  })

  it('a span that started before the horizon cannot end its task before it started', () => {
    const events = rootEvents({ startMs: Date.parse('1990-01-01T00:00:00Z'), endMs: NOW - 1_000 })
    const [start, end] = events
    expect([start.kind, end.kind]).toEqual(['task_start', 'task_end'])
    expect(compareEvents(start, end)).toBeLessThan(0)
    expect(events.map(row)).toEqual([
      ['task_start', NOW, 0, true, '1990-01-01T00:00:00Z'],
      ['task_end', NOW, 1, true, new Date(NOW - 1_000).toISOString().replace('.000', '')],
    ])
  })
})
