/**
 * The `rules` table: which rules a process loaded, written at start so dashboards and the API can
 * join alerts to rule metadata (frameworks, status) in SQL. In: rule records. Out: rows of the
 * newest load. Not here: parsing rule files (the detector does that).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { quoteIdentifier } from './ddl.js'

export interface LoadedRule {
  rule_id: string
  title: string
  description: string
  severity: string
  status: string
  /** `scheme:id`, as on alerts. */
  frameworks: string[]
  tags: string[]
  file: string
}

/** ClickHouse DateTime64 text, UTC, millisecond precision. */
function dateTime64(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

/** One load: every row shares `loadedAt`, so readers can take the newest load as a whole. */
export async function recordLoadedRules(
  client: Pick<ClickHouseClient, 'insert'>,
  database: string,
  rules: readonly LoadedRule[],
  loadedAt: number = Date.now(),
): Promise<void> {
  if (rules.length === 0) return
  const at = dateTime64(loadedAt)
  await client.insert({
    table: `${quoteIdentifier(database)}.${quoteIdentifier('rules')}`,
    values: rules.map((rule) => ({ ...rule, loaded_at: at })),
    format: 'JSONEachRow',
  })
}

/** The rules of the newest load, by id. */
export async function readLoadedRules(client: Pick<ClickHouseClient, 'query'>, database: string): Promise<Array<LoadedRule & { loaded_at: number }>> {
  const table = `${quoteIdentifier(database)}.${quoteIdentifier('rules')}`
  const result = await client.query({
    query: `
SELECT rule_id, title, description, severity, status, frameworks, tags, file, toUnixTimestamp64Milli(loaded_at) AS loaded_at_ms
FROM ${table}
WHERE loaded_at = (SELECT max(loaded_at) FROM ${table})
ORDER BY rule_id
LIMIT 1 BY rule_id`,
    format: 'JSONEachRow',
  })
  const rows = await result.json<LoadedRule & { loaded_at_ms: number | string }>()
  return rows.map(({ loaded_at_ms, ...rule }) => ({ ...rule, loaded_at: Number(loaded_at_ms) }))
}
