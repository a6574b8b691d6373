/**
 * Test helpers for anything that reads or writes the store: a migrated chDB in a fresh temp
 * directory (one per test file: chDB binds one directory per process), and event/alert builders.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alertId, type Alert } from '../core/alert.js'
import { emptyEvent, eventId, type EventKind, type PrivpathEvent } from '../core/event.js'
import { createStoreClient, type ClickHouseClient } from '../core/store/client.js'
import { migrate } from '../core/store/migrate.js'
import { alertToRow, eventToRow } from '../core/store/rows.js'

export const DB = 'privpath'

export interface TestStore {
  dir: string
  client: ClickHouseClient
  /** Closes the client; the directory stays so a test can reopen it. */
  close(): Promise<void>
  reopen(): Promise<ClickHouseClient>
  /** Closes the client and removes the directory. */
  destroy(): Promise<void>
}

export async function openTestStore(prefix = 'privpath-store-'): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const config = { data_dir: dir, clickhouse_url: '', username: 'default', password: '' }
  const store: TestStore = {
    dir,
    client: createStoreClient(config),
    close: () => store.client.close(),
    reopen: async () => (store.client = createStoreClient(config)),
    destroy: async () => {
      await store.client.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await migrate(store.client, { database: DB, eventsTtlDays: 30 })
  return store
}

const BASE_TS = Date.UTC(2026, 10, 20, 12, 0, 0)

export function makeEvent(overrides: Partial<PrivpathEvent> & { kind: EventKind; task_id: string }): PrivpathEvent {
  const base = emptyEvent()
  const seq = overrides.seq ?? 0
  const spanId = overrides.span_id ?? `span-${Math.random().toString(16).slice(2, 10)}`
  const traceId = overrides.trace_id ?? `trace-${overrides.task_id}`
  return {
    ...base,
    tenant_id: 'acme',
    ts: BASE_TS,
    observed_at: BASE_TS + 5,
    source: 'privpath',
    trace_id: traceId,
    span_id: spanId,
    ...overrides,
    seq,
    event_id: overrides.event_id ?? eventId(traceId, spanId, overrides.kind, seq),
  }
}

export function makeAlert(overrides: Partial<Alert> & { rule_id: string; dedup_key: string }): Alert {
  const windowStart = overrides.window_start ?? BASE_TS
  return {
    alert_id: alertId(overrides.rule_id, overrides.dedup_key, windowStart),
    rule_title: `Rule ${overrides.rule_id}`,
    severity: 'high',
    category: 'incident',
    tenant_id: 'acme',
    task_id: '',
    agent_id: 'agent-1',
    summary: 'something happened',
    path: 'prompt → tool',
    event_ids: [],
    frameworks: ['owasp_agentic:T3'],
    tags: [],
    runbook: '',
    count: 1,
    first_seen: BASE_TS,
    last_seen: BASE_TS,
    window_start: windowStart,
    updated_at: BASE_TS,
    ...overrides,
  }
}

export { BASE_TS }

export async function insertEvents(client: ClickHouseClient, events: PrivpathEvent[]): Promise<void> {
  await client.insert({ table: `${DB}.events`, values: events.map(eventToRow), format: 'JSONEachRow' })
}

export async function insertAlerts(client: ClickHouseClient, alerts: Alert[]): Promise<void> {
  await client.insert({ table: `${DB}.alerts`, values: alerts.map(alertToRow), format: 'JSONEachRow' })
}
