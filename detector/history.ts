/**
 * Rebuild source after a restart: the events of the last `hours` that the detector's state
 * depends on, oldest first: every credential event and task_end (→ registry), and every event of a task with
 * no task_end yet (→ live task state). Uses the store's row encoding (core/store/rows.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { PrivpathEvent } from '../core/event.js'
import { EVENT_SELECT, rowToEvent } from '../core/store/rows.js'

export interface HistoryOptions {
  hours?: number
}

function historyQuery(database: string, hours: number): string {
  const db = `\`${database.replace(/`/g, '')}\``
  const since = `now64(6) - INTERVAL ${Math.max(1, Math.trunc(hours))} HOUR`
  return `
    SELECT ${EVENT_SELECT}
    FROM ${db}.events
    WHERE ts >= ${since}
      AND (
        kind IN ('credential_issued', 'credential_used', 'credential_revoked', 'task_end') OR credential_id != ''
        OR (tenant_id, task_id) IN (
          SELECT tenant_id, task_id FROM ${db}.events
          WHERE ts >= ${since}
          GROUP BY tenant_id, task_id
          HAVING countIf(kind = 'task_end') = 0
        )
      )
    ORDER BY ts, seq, event_id
    LIMIT 1 BY tenant_id, event_id`
}

export function clickhouseHistory(
  client: ClickHouseClient,
  database: string,
  options: HistoryOptions = {},
): () => AsyncIterable<PrivpathEvent> {
  return async function* loadHistory() {
    const result = await client.query({ query: historyQuery(database, options.hours ?? 24), format: 'JSONEachRow' })
    for await (const rows of result.stream()) {
      for (const row of rows) yield rowToEvent(row.json() as Record<string, unknown>)
    }
  }
}
