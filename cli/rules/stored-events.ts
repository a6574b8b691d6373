/**
 * Stored events in event-time order, read page by page with a keyset cursor on
 * (ts, seq, event_id), so a backtest over months holds one page in memory, never the range.
 * Re-delivered copies of an event (same id, not yet merged by ReplacingMergeTree) are read once.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { PrivpathEvent } from '../../core/event.js'
import { EVENT_SELECT, quoteIdentifier, rowToEvent, toMicros } from '../../core/store/index.js'

export interface StoredEventsRange {
  database: string
  /** Epoch ms, inclusive. */
  from: number
  /** Epoch ms, exclusive. */
  to: number
  tenant?: string
  pageSize?: number
}

interface Cursor {
  ts_us: number
  seq: number
  event_id: string
}

function rangeWhere(range: StoredEventsRange, params: Record<string, unknown>): string {
  params.from_us = toMicros(range.from, 'from')
  params.to_us = toMicros(range.to, 'to')
  const clauses = ['ts >= fromUnixTimestamp64Micro({from_us:Int64})', 'ts < fromUnixTimestamp64Micro({to_us:Int64})']
  if (range.tenant !== undefined) {
    params.tenant = range.tenant
    clauses.push('tenant_id = {tenant:String}')
  }
  return clauses.join(' AND ')
}

/** Distinct events in the range: the denominator of the progress bar. */
export async function countStoredEvents(client: ClickHouseClient, range: StoredEventsRange): Promise<number> {
  const params: Record<string, unknown> = {}
  const result = await client.query({
    query: `SELECT uniqExact(tenant_id, event_id) AS n FROM ${quoteIdentifier(range.database)}.events WHERE ${rangeWhere(range, params)}`,
    query_params: params,
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ n: number | string }>()
  return Number(row?.n ?? 0)
}

export async function* storedEvents(client: ClickHouseClient, range: StoredEventsRange): AsyncGenerator<PrivpathEvent[]> {
  const pageSize = range.pageSize ?? 5_000
  let cursor: Cursor | undefined
  for (;;) {
    const params: Record<string, unknown> = { limit: pageSize }
    let where = rangeWhere(range, params)
    if (cursor) {
      Object.assign(params, { c_ts: cursor.ts_us, c_seq: cursor.seq, c_id: cursor.event_id })
      where += ' AND (ts, seq, event_id) > (fromUnixTimestamp64Micro({c_ts:Int64}), {c_seq:UInt32}, {c_id:String})'
    }
    const result = await client.query({
      query: `
SELECT ${EVENT_SELECT}
FROM ${quoteIdentifier(range.database)}.events
WHERE ${where}
ORDER BY ts, seq, event_id
LIMIT 1 BY tenant_id, event_id
LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    })
    const rows = await result.json<Record<string, unknown>>()
    if (rows.length === 0) return
    const last = rows[rows.length - 1]
    cursor = { ts_us: Number(last.ts_us), seq: Number(last.seq), event_id: String(last.event_id) }
    yield rows.map(rowToEvent)
    if (rows.length < pageSize) return
  }
}
