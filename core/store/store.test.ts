import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_KINDS, type PrivpathEvent } from '../event.js'
import { DB, insertAlerts, insertEvents, makeAlert, makeEvent, openTestStore, type TestStore } from '../../testkit/store.js'
import { appliedVersions, migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'
import { ALERT_SELECT, alertToRow, EVENT_INSERT_COLUMNS, EVENT_SELECT, eventToCompactRow, rowToAlert, rowToEvent } from './rows.js'

const DAY = 86_400_000
const NOW = Date.now()
let store: TestStore
beforeAll(async () => {
  store = await openTestStore()
})
afterAll(async () => {
  await store.destroy()
})

async function tableNames(): Promise<string[]> {
  const r = await store.client.query({ query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', query_params: { db: DB }, format: 'JSONEachRow' })
  return (await r.json<{ name: string }>()).map((t) => t.name)
}

describe('migrations', () => {
  it('records every version once and applies nothing on a second run', async () => {
    expect(await appliedVersions(store.client, DB)).toEqual(MIGRATIONS.map((m) => m.version))
    const again = await migrate(store.client, { database: DB, eventsTtlDays: 30 })
    expect(again).toEqual({ applied: [], current: MIGRATIONS.at(-1)!.version, retentionChanged: [] })
    expect(await appliedVersions(store.client, DB)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await tableNames()).toEqual([
      'alerts', 'credentials', 'credentials_mv', 'events', 'first_seen', 'rules', 'schema_migrations',
      'task_hours', 'task_hours_mv', 'task_summary', 'task_summary_mv', 'task_times', 'task_times_mv',
    ])
  })

  it('applies only a migration it has not recorded yet', async () => {
    const next = { version: 99, name: 'scratch', statements: () => [`CREATE TABLE IF NOT EXISTS ${DB}.scratch (x UInt8) ENGINE = MergeTree ORDER BY x`] }
    const result = await migrate(store.client, { database: DB, eventsTtlDays: 30 }, [...MIGRATIONS, next])
    expect(result.applied).toEqual([99])
    expect(await tableNames()).toContain('scratch')
    expect((await migrate(store.client, { database: DB, eventsTtlDays: 30 }, [...MIGRATIONS, next])).applied).toEqual([])
    await store.client.command({ query: `DROP TABLE ${DB}.scratch` })
  })

  it('refuses migrations listed out of order', async () => {
    await expect(migrate(store.client, { database: DB, eventsTtlDays: 30 }, [MIGRATIONS[1], MIGRATIONS[0]])).rejects.toThrow(/increasing/)
  })

  it('changes the TTL when the configured retention changes, and only then', async () => {
    expect((await migrate(store.client, { database: DB, eventsTtlDays: 7 })).retentionChanged).toEqual(['events', 'task_hours', 'task_summary', 'task_times'])
    expect((await migrate(store.client, { database: DB, eventsTtlDays: 7 })).retentionChanged).toEqual([])
    const r = await store.client.query({ query: `SELECT engine_full FROM system.tables WHERE database = '${DB}' AND name = 'events'`, format: 'JSONEachRow' })
    expect((await r.json<{ engine_full: string }>())[0].engine_full).toContain('toIntervalDay(7)')
    // task_hours outlives events by a day, so a task's hours stay whole as long as its events.
    const hours = await store.client.query({ query: `SELECT engine_full FROM system.tables WHERE database = '${DB}' AND name = 'task_hours'`, format: 'JSONEachRow' })
    expect((await hours.json<{ engine_full: string }>())[0].engine_full).toContain('toIntervalDay(8)')
    await migrate(store.client, { database: DB, eventsTtlDays: 30 })
  })
})

describe('row round trip through ClickHouse', () => {
  const str = fc.string({ maxLength: 12 })
  const event = fc.record({
    kind: fc.constantFrom(...EVENT_KINDS),
    // µs precision for ts; DateTime64(3) columns keep ms. Within TTL and under 100 day-partitions per insert.
    ts: fc.integer({ min: (NOW - 20 * DAY) * 1000, max: (NOW + 20 * DAY) * 1000 }).map((us) => us / 1000),
    observed_at: fc.integer({ min: 0, max: 7_258_118_400_000 }),
    credential_expires_at: fc.option(fc.integer({ min: 0, max: 7_258_118_400_000 }), { nil: null }),
    seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    task_id: str,
    content: fc.string({ unit: 'grapheme', maxLength: 40 }),
    tool_result: fc.string({ unit: 'grapheme', maxLength: 40 }),
    requested_calls: fc.array(fc.record({ call_id: str, name: str, arguments: fc.string({ unit: 'grapheme', maxLength: 20 }) }), { maxLength: 3 }),
    credential_scopes: fc.array(str, { maxLength: 3 }),
    attributes: fc.dictionary(str, str, { maxKeys: 3 }),
  })

  it('reads back every event field exactly, ts to the microsecond', async () => {
    const events: PrivpathEvent[] = fc.sample(event, 300).map((e, i) =>
      makeEvent({ ...e, tenant_id: 'roundtrip', event_id: `rt-${i}`, authz_result: 'allow', flags: ['orphan'] }),
    )
    await insertEvents(store.client, events)
    const r = await store.client.query({ query: `SELECT ${EVENT_SELECT} FROM ${DB}.events WHERE tenant_id = 'roundtrip'`, format: 'JSONEachRow' })
    const back = new Map((await r.json<Record<string, unknown>>()).map(rowToEvent).map((e) => [e.event_id, e]))
    expect(back.size).toBe(events.length)
    for (const e of events) expect(back.get(e.event_id)).toEqual(e)
  })

  it('reads back what the writer inserts (compact rows) exactly, tool results and requested calls included', async () => {
    const events: PrivpathEvent[] = fc.sample(event, 100).map((e, i) => makeEvent({ ...e, tenant_id: 'roundtrip-compact', event_id: `rc-${i}` }))
    events[0] = { ...events[0], tool_result: 'balance: 10 EUR', requested_calls: [{ call_id: 'c1', name: 'send_money', arguments: '{"iban":"DE89"}' }, { call_id: 'c2', name: 'x', arguments: '' }] }
    await store.client.insert({ table: `${DB}.events`, values: events.map((e) => JSON.parse(eventToCompactRow(e)) as unknown[]), format: 'JSONCompactEachRow', columns: [...EVENT_INSERT_COLUMNS] as [string, ...string[]] })
    const r = await store.client.query({ query: `SELECT ${EVENT_SELECT} FROM ${DB}.events WHERE tenant_id = 'roundtrip-compact'`, format: 'JSONEachRow' })
    const back = new Map((await r.json<Record<string, unknown>>()).map(rowToEvent).map((e) => [e.event_id, e]))
    expect(back.size).toBe(events.length)
    for (const e of events) expect(back.get(e.event_id)).toEqual(e)
  })

  it('reads back alerts exactly', async () => {
    const alert = makeAlert({ rule_id: 'rt', dedup_key: 'k', tenant_id: 'roundtrip', first_seen: 1_700_000_000_000.001, last_seen: 1_700_000_000_999.999, event_ids: ['a', 'b'], count: 3 })
    await insertAlerts(store.client, [alert])
    const r = await store.client.query({ query: `SELECT ${ALERT_SELECT} FROM ${DB}.alerts WHERE tenant_id = 'roundtrip'`, format: 'JSONEachRow' })
    expect((await r.json<Record<string, unknown>>()).map(rowToAlert)).toEqual([alert])
  })

  it('keeps an alert\'s category, and reads rows stored without one as incidents', async () => {
    const posture = makeAlert({ rule_id: 'rt', dedup_key: 'posture', tenant_id: 'category', category: 'posture' })
    await insertAlerts(store.client, [posture])
    // a row as a writer from before migration 8 inserted it: no category field
    const { category: _, ...old } = alertToRow(makeAlert({ rule_id: 'rt', dedup_key: 'old', tenant_id: 'category' }))
    await store.client.insert({ table: `${DB}.alerts`, values: [old], format: 'JSONEachRow' })
    const r = await store.client.query({ query: `SELECT ${ALERT_SELECT} FROM ${DB}.alerts WHERE tenant_id = 'category' ORDER BY dedup_key`, format: 'JSONEachRow' })
    expect((await r.json<Record<string, unknown>>()).map(rowToAlert).map((a) => [a.dedup_key, a.category])).toEqual([['old', 'incident'], ['posture', 'posture']])
  })
})

describe('client', () => {
  it('pins the settings that differ between chDB and a server', async () => {
    const r = await store.client.query({
      query: "SELECT getSetting('date_time_input_format') AS parsing, getSetting('output_format_json_quote_64bit_integers') AS quoted, toUInt64(1) AS n",
      format: 'JSONEachRow',
    })
    expect(await r.json()).toEqual([{ parsing: 'basic', quoted: false, n: 1 }])
  })
})

describe('persistence', () => {
  it('keeps data after the client is closed and the same directory reopened', async () => {
    await insertEvents(store.client, [makeEvent({ kind: 'prompt', task_id: 'persist', tenant_id: 'persist' })])
    await store.close()
    const client = await store.reopen()
    const r = await client.query({ query: `SELECT count() AS n FROM ${DB}.events WHERE tenant_id = 'persist'`, format: 'JSONEachRow' })
    expect(await r.json()).toEqual([{ n: 1 }])
    expect((await migrate(client, { database: DB, eventsTtlDays: 30 })).applied).toEqual([])
  })
})
