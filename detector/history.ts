/**
 * Rebuild source after a restart: the events of the last `hours` that the detector's state
 * depends on, oldest first: every credential event and task_end (→ registry), and every event of a task with
 * no task_end yet (→ live task state); and, over the longer `tombstoneHours`, the issues and
 * revocations that make the registry's tombstones (a credential revoked days ago and replayed
 * after a restart still alerts). Each event keeps its isolation domain. Uses the store's row
 * encoding (core/store/rows.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { PrivpathEvent } from '../core/event.js'
import { EVENT_SELECT, rowToEvent } from '../core/store/rows.js'

export interface HistoryOptions {
  hours?: number
  /** How far back credential issues and revocations are read (detector.credential_tombstone_ms); at least `hours`. */
  tombstoneHours?: number
}

const hoursAgo = (hours: number) => `now64(6) - INTERVAL ${Math.max(1, Math.ceil(hours))} HOUR`

function historyQuery(database: string, hours: number, tombstoneHours: number): string {
  const db = `\`${database.replace(/`/g, '')}\``
  const since = hoursAgo(hours)
  return `
    SELECT ${EVENT_SELECT}
    FROM ${db}.events
    WHERE (ts >= ${since}
      AND (
        kind IN ('credential_issued', 'credential_used', 'credential_revoked', 'task_end') OR credential_id != ''
        OR (domain, tenant_id, task_id) IN (
          SELECT domain, tenant_id, task_id FROM ${db}.events
          WHERE ts >= ${since}
          GROUP BY domain, tenant_id, task_id
          HAVING countIf(kind = 'task_end') = 0
        )
      ))
      OR (ts >= ${hoursAgo(Math.max(hours, tombstoneHours))} AND kind IN ('credential_issued', 'credential_revoked'))
    ORDER BY ts, seq, event_id
    LIMIT 1 BY domain, tenant_id, event_id`
}

export function clickhouseHistory(
  client: ClickHouseClient,
  database: string,
  options: HistoryOptions = {},
): () => AsyncIterable<PrivpathEvent> {
  return async function* loadHistory() {
    const hours = options.hours ?? 24
    const result = await client.query({ query: historyQuery(database, hours, options.tombstoneHours ?? hours), format: 'JSONEachRow' })
    for await (const rows of result.stream()) {
      for (const row of rows) yield rowToEvent(row.json() as Record<string, unknown>)
    }
  }
}
