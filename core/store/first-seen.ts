/**
 * The `first_seen` table (migration 010): what the detector has seen per isolation domain, so
 * first-seen rules survive restarts. In: rows the detector emits as it learns. Out: the current
 * facts (rows of one fact merged, newest first, at most `perDomain` per domain). Not here: what
 * the facts mean (detector/state/first-seen.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { quoteIdentifier } from './ddl.js'

export type FactKind = 'agent' | 'mcp_server' | 'tool' | 'delegation_edge' | 'tool_definition'

export interface FirstSeenRow {
  domain: string
  tenant_id: string
  kind: FactKind
  /** The agent (for a delegation edge: the delegator). */
  subject: string
  /** '' (agent), the server (mcp_server), the tool (tool), the delegate (delegation_edge), `server\0tool` (tool_definition). */
  object: string
  /** tool_definition: the definition's hash; agent: `learning` | `established`; else ''. */
  hash: string
  /** tool_definition: the definition (redacted, '' without content capture); else ''. */
  detail: string
  /** Event time of the first sighting, epoch ms. */
  first_seen: number
  /** Event time this row was written for (the fact's version; its TTL counts from it), epoch ms. */
  seen_at: number
}

const dateTime64 = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

const table = (database: string): string => `${quoteIdentifier(database)}.${quoteIdentifier('first_seen')}`

export async function recordFirstSeen(client: Pick<ClickHouseClient, 'insert'>, database: string, rows: readonly FirstSeenRow[]): Promise<void> {
  if (rows.length === 0) return
  await client.insert({
    table: table(database),
    values: rows.map((row) => ({ ...row, first_seen: dateTime64(row.first_seen), seen_at: dateTime64(row.seen_at) })),
    format: 'JSONEachRow',
  })
}

export interface ReadFirstSeenOptions {
  /** Most facts per isolation domain (the most recently seen). */
  perDomain: number
  /** Only facts written after this event time (epoch ms): what other detectors learned since. */
  since?: number
}

/** The facts, oldest sighting first (so loading them in order leaves the most recent as the most recently used). */
export async function readFirstSeen(client: Pick<ClickHouseClient, 'query'>, database: string, options: ReadFirstSeenOptions): Promise<FirstSeenRow[]> {
  const since = options.since === undefined ? '' : 'WHERE seen_at > fromUnixTimestamp64Milli({since:Int64})'
  const result = await client.query({
    query: `
SELECT domain, tenant_id, kind, subject, object, hash, argMax(detail, seen_at) AS detail,
  toUnixTimestamp64Milli(min(first_seen)) AS first_ms, toUnixTimestamp64Milli(max(seen_at)) AS seen_ms
FROM ${table(database)}
${since}
GROUP BY domain, tenant_id, kind, subject, object, hash
ORDER BY seen_ms DESC
LIMIT {per:UInt32} BY domain`,
    query_params: { per: options.perDomain, since: options.since ?? 0 },
    format: 'JSONEachRow',
  })
  const rows = await result.json<Omit<FirstSeenRow, 'first_seen' | 'seen_at'> & { first_ms: number | string; seen_ms: number | string }>()
  return rows.reverse().map(({ first_ms, seen_ms, ...row }) => ({ ...row, first_seen: Number(first_ms), seen_at: Number(seen_ms) }))
}
