import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../core/config/load.js'
import type { PrivpathEvent } from '../../core/event.js'
import { logRecord, logRequest, span, traceRequest, type SpanInit } from '../../testkit/otlp-builders.js'
import { createPipelineStages, maxPastMs } from '../stages.js'
import { Registry } from 'prom-client'
import { originalTime } from './clock.js'
import { mapLogRequest, mapTraceRequest } from './map.js'
import type { MappingOptions } from './record.js'

const NOW = Date.parse('2026-06-01T12:00:00Z')
const MINUTE = 60_000
const DAY = 86_400_000

function mapSpan(init: Omit<SpanInit, 'spanId'>, options: MappingOptions = {}): PrivpathEvent[] {
  return mapTraceRequest(traceRequest([span({ spanId: 's1', ...init })]), { observedAt: NOW, ...options })[0].events
}

const skewed = (event: PrivpathEvent) => [event.ts, event.flags.includes('clock_skew'), event.attributes['privpath.original_ts']]

describe('event time bounded by the receive time', () => {
  it('keeps times within the bounds as they are, unflagged', () => {
    for (const at of [NOW - 29 * DAY, NOW - 1, NOW, NOW + 4 * MINUTE]) {
      const [event] = mapSpan({ startMs: at, endMs: at })
      expect(skewed(event), new Date(at).toISOString()).toEqual([at, false, undefined])
    }
  })

  it('gives an event dated past the future skew the receive time, keeping the time sent at its precision', () => {
    const request = traceRequest([{ ...span({ spanId: 's1' }), startTimeUnixNano: 4102444800123456789n, endTimeUnixNano: 4102444800223456789n }])
    const [event] = mapTraceRequest(request, { observedAt: NOW })[0].events
    expect(skewed(event)).toEqual([NOW, true, '2100-01-01T00:00:00.123456789Z'])
    expect(skewed(mapSpan({ startMs: NOW + 6 * MINUTE })[0])).toEqual([NOW, true, '2026-06-01T12:06:00Z'])
  })

  it('gives an event dated before the past horizon the receive time', () => {
    expect(skewed(mapSpan({ startMs: Date.parse('1990-01-01T00:00:00.250Z') })[0])).toEqual([NOW, true, '1990-01-01T00:00:00.250Z'])
    expect(skewed(mapSpan({ startMs: NOW - 31 * DAY })[0])).toEqual([NOW, true, new Date(NOW - 31 * DAY).toISOString().replace('.000', '')])
  })

  it('takes the bounds from maxFutureSkewMs and maxPastMs', () => {
    expect(mapSpan({ startMs: NOW + 2_000, endMs: NOW + 2_000 }, { maxFutureSkewMs: 1_000 })[0].ts).toBe(NOW)
    expect(mapSpan({ startMs: NOW + 500, endMs: NOW + 500 }, { maxFutureSkewMs: 1_000 })[0].ts).toBe(NOW + 500)
    expect(mapSpan({ startMs: NOW - 2_000, endMs: NOW - 2_000 }, { maxPastMs: 1_000 })[0].ts).toBe(NOW)
    expect(mapSpan({ startMs: NOW - 500, endMs: NOW - 500 }, { maxPastMs: 1_000 })[0].ts).toBe(NOW - 500)
    expect(mapSpan({ startMs: NOW - 40 * DAY, endMs: NOW - 40 * DAY }, { maxPastMs: 60 * DAY })[0].ts).toBe(NOW - 40 * DAY)
  })

  it('bounds every event of a span: derived ones, span events and reasoning parts at its end', () => {
    const events = mapSpan({
      startMs: NOW - 1_000,
      endMs: Date.parse('2100-01-01T00:00:00Z'),
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'db.query',
        'credential.id': 'cred-1',
        'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'reasoning', content: 'think' }] }],
      },
      events: [
        { name: 'authz.decision', atMs: NOW - 500, attributes: { 'authz.result': 'allow' } },
        { name: 'approval', atMs: Date.parse('2099-01-01T00:00:00Z'), attributes: { 'approval.result': 'granted' } },
      ],
    })
    expect(events.map((event) => [event.kind, ...skewed(event)])).toEqual([
      ['tool_invocation', NOW - 1_000, false, undefined],
      ['reasoning_step', NOW, true, '2100-01-01T00:00:00Z'],
      ['credential_used', NOW - 1_000, false, undefined],
      ['authz_decision', NOW - 500, false, undefined],
      ['approval', NOW, true, '2099-01-01T00:00:00Z'],
    ])
  })

  it("keeps a span's order: a start before the horizon raises the span's later times to the receive time too", () => {
    const events = mapSpan({
      startMs: Date.parse('1990-01-01T00:00:00Z'),
      endMs: NOW - 1_000,
      events: [{ name: 'authz.decision', atMs: NOW - 2_000, attributes: { 'authz.result': 'deny' } }],
    })
    expect(events.map((event) => [event.kind, event.seq, ...skewed(event)])).toEqual([
      ['other', 0, NOW, true, '1990-01-01T00:00:00Z'],
      ['authz_decision', 1, NOW, true, new Date(NOW - 2_000).toISOString().replace('.000', '')],
    ])
  })

  it('counts a credential ttl from the time the event takes, and leaves an explicit expiry as sent', () => {
    const issued = (attributes: Record<string, string | number>) =>
      mapSpan({ startMs: NOW, events: [{ name: 'credential.issued', atMs: Date.parse('2100-01-01T00:00:00Z'), attributes: { 'credential.id': 'c', ...attributes } }] })[1]
    expect(issued({ 'credential.ttl_s': 900 }).credential_expires_at).toBe(NOW + 900_000)
    expect(issued({ 'credential.expires_at': '2100-01-01T00:15:00Z' }).credential_expires_at).toBe(Date.parse('2100-01-01T00:15:00Z'))
  })

  it("writes the original time over a sender's own privpath.original_ts, and leaves the sender's on an unflagged event", () => {
    const spoofing = { 'privpath.original_ts': '2026-06-01T11:59:00Z' }
    expect(skewed(mapSpan({ startMs: Date.parse('2100-01-01T00:00:00Z'), attributes: spoofing })[0])).toEqual([NOW, true, '2100-01-01T00:00:00Z'])
    expect(mapSpan({ startMs: NOW, attributes: spoofing })[0].flags).not.toContain('clock_skew')
  })

  it('bounds log records alike; one without any time takes the receive time unflagged', () => {
    const map = (init: Parameters<typeof logRecord>[0]) => mapLogRequest(logRequest([logRecord({ eventName: 'note', ...init })]), { observedAt: NOW })[0]
    const future = map({ atMs: Date.parse('2100-01-01T00:00:00Z') })
    expect(skewed(future.events[0])).toEqual([NOW, true, '2100-01-01T00:00:00Z'])
    expect([future.startTs, future.startOriginal]).toEqual([NOW, '2100-01-01T00:00:00Z'])
    expect(skewed(map({ timeUnixNano: 0n, observedTimeUnixNano: 631152000000000000n }).events[0])).toEqual([NOW, true, '1990-01-01T00:00:00Z'])
    expect(skewed(map({ timeUnixNano: 0n }).events[0])).toEqual([NOW, false, undefined])
    expect(skewed(map({ atMs: NOW - MINUTE }).events[0])).toEqual([NOW - MINUTE, false, undefined])
  })
})

describe('originalTime', () => {
  it('writes RFC 3339 at the precision sent, and the raw count when RFC 3339 cannot write it', () => {
    expect(originalTime(0n)).toBe('1970-01-01T00:00:00Z')
    expect(originalTime(1_500_000n)).toBe('1970-01-01T00:00:00.001500Z')
    expect(originalTime(2n ** 64n - 1n)).toBe('2554-07-21T23:34:33.709551615Z')
    expect(originalTime(10n ** 24n)).toBe('1000000000000000000000000')
    expect(originalTime(-1n)).toBe('-1')
  })
})

describe('the settings collector.max_future_skew_ms and collector.max_past_ms', () => {
  const config = (raw: object) => validateConfig(raw)

  it('default to 5 minutes and the events TTL, and are taken as set', () => {
    expect(config({}).collector.max_future_skew_ms).toBe(5 * MINUTE)
    expect(maxPastMs(config({}))).toBe(30 * DAY)
    expect(maxPastMs(config({ store: { events_ttl_days: 7 } }))).toBe(7 * DAY)
    expect(maxPastMs(config({ store: { events_ttl_days: 7 }, collector: { max_past_ms: 1_000 } }))).toBe(1_000)
    expect(() => config({ collector: { max_future_skew_ms: -1 } })).toThrow(/collector\.max_future_skew_ms/)
  })

  it('reach the mapper', () => {
    const stages = createPipelineStages(config({ store: { events_ttl_days: 7 }, collector: { max_future_skew_ms: 1_000 } }), new Registry())
    const at = (ms: number) => stages.map('traces', traceRequest([span({ spanId: 's1', startMs: ms, endMs: ms })]), { authTenant: '', observedAt: NOW })[0].events[0].ts
    expect(at(NOW + 500)).toBe(NOW + 500)
    expect(at(NOW + 2_000)).toBe(NOW)
    expect(at(NOW - 6 * DAY)).toBe(NOW - 6 * DAY)
    expect(at(NOW - 8 * DAY)).toBe(NOW)
  })
})
