import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { emptyEvent } from '../event.js'
import { EVENT_INSERT_COLUMNS, eventToCompactRow, eventToRow, RowEncodingError, rowToEvent, toMicros } from './rows.js'

// Any microsecond in [1970, 2245) written as epoch ms with a µs fraction, as the collector does.
const microsecond = fc.integer({ min: 0, max: 8_700_000_000_000_000 })

describe('time encoding', () => {
  it('turns epoch ms with a µs fraction into the exact µs tick and back', () => {
    fc.assert(
      fc.property(microsecond, (us) => {
        const ms = us / 1000
        expect(toMicros(ms)).toBe(us)
        expect(toMicros(ms) / 1000).toBe(ms)
      }),
      { numRuns: 20_000 },
    )
  })

  it('refuses times ClickHouse cannot hold as ticks', () => {
    const e = emptyEvent()
    expect(() => eventToRow({ ...e, ts: Number.NaN })).toThrow(RowEncodingError)
    expect(() => eventToRow({ ...e, observed_at: Infinity })).toThrow(/observed_at/)
    expect(() => eventToRow({ ...e, credential_expires_at: Number.MAX_VALUE })).toThrow(/credential_expires_at/)
  })

  it('decodes what ClickHouse returns, whether 64-bit integers come quoted or not', () => {
    const row = { ...eventToRow({ ...emptyEvent(), ts: 1_700_000_000_123.456, observed_at: 1_700_000_000_200, credential_expires_at: 1_700_000_900_000 }) } as Record<string, unknown>
    const { ts, observed_at, credential_expires_at, ...rest } = row
    const quoted = rowToEvent({ ...rest, seq: '0', ts_us: String(ts), observed_at_ms: String(observed_at), credential_expires_at_ms: String(credential_expires_at) })
    expect(quoted.ts).toBe(1_700_000_000_123.456)
    expect(quoted.seq).toBe(0)
    expect(quoted.observed_at).toBe(1_700_000_000_200)
    expect(quoted.credential_expires_at).toBe(1_700_000_900_000)
    expect(rowToEvent({ ...rest, ts_us: ts, observed_at_ms: observed_at, credential_expires_at_ms: null }).credential_expires_at).toBeNull()
  })
})

describe('compact event rows', () => {
  it('hold every column of eventToRow, in insert column order', () => {
    // Every field distinct, so a swapped or missing value cannot go unnoticed.
    const e = emptyEvent()
    const filled = Object.fromEntries(
      Object.entries(e).map(([k, v]) => [k, Array.isArray(v) ? [`${k}-a`, `${k}-b`] : typeof v === 'string' ? `${k}-value` : v]),
    ) as unknown as typeof e
    const event = { ...filled, kind: 'credential_used' as const, source: 'gen_ai' as const, seq: 3, ts: 1_700_000_000_123.456, observed_at: 1_700_000_000_200, credential_expires_at: 1_700_000_900_000, attributes: { 'a.b': 'c' } }
    const row = eventToRow(event) as unknown as Record<string, unknown>
    expect(EVENT_INSERT_COLUMNS).toEqual(Object.keys(row))
    expect(JSON.parse(eventToCompactRow(event))).toEqual(EVENT_INSERT_COLUMNS.map((c) => row[c]))
    expect(JSON.parse(eventToCompactRow({ ...event, credential_expires_at: null }))[EVENT_INSERT_COLUMNS.indexOf('credential_expires_at')]).toBeNull()
  })

  it('refuses the times eventToRow refuses', () => {
    const e = emptyEvent()
    expect(() => eventToCompactRow({ ...e, ts: Number.NaN })).toThrow(RowEncodingError)
    expect(() => eventToCompactRow({ ...e, credential_expires_at: Number.MAX_VALUE })).toThrow(/credential_expires_at/)
  })
})
