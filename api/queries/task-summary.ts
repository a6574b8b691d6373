/**
 * A task's summary as the API returns it: the aggregates of its `task_hours` rows (migration 009)
 * and the number of alerts raised on it. The rows read are the hours a caller names, and the
 * tasks a key condition names; both come from task_times or a page of the task list.
 */
import { quoteIdentifier } from '../../core/store/ddl.js'
import type { TaskSummary } from '../schemas.js'
import { msFromMicros } from './scope.js'

export const table = (db: string, name: string): string => `${quoteIdentifier(db)}.${quoteIdentifier(name)}`

/** `(tenant_id, task_id)` is one of the pairs in the `tenants` and `tasks` array parameters. */
export const IN_KEYS = '(tenant_id, task_id) IN (SELECT arrayJoin(arrayZip({tenants:Array(String)}, {tasks:Array(String)})))'

export function keyParams(keys: ReadonlyArray<{ tenant_id: string; task_id: string }>): Record<string, unknown> {
  return { tenants: keys.map((k) => k.tenant_id), tasks: keys.map((k) => k.task_id) }
}

/**
 * Summaries of the tasks `keys` selects (a condition on tenant_id, task_id), from their rows that
 * `rows` admits, newest start first. A task's rows outside `rows` are missing from its summary:
 * callers bound the hours by the tasks' own start and last activity.
 */
export function summarySql(db: string, rows: string, keys: string): string {
  return `
SELECT s.*, a.alert_count AS alert_count
FROM (
  SELECT
    tenant_id,
    task_id,
    toUnixTimestamp64Micro(min(started_at)) AS started_at_us,
    toUnixTimestamp64Micro(max(ended_at)) AS ended_at_us,
    toUnixTimestamp64Micro(max(last_seen)) AS last_seen_us,
    uniqExactMapMerge(kind_counts) AS counts,
    arraySort(groupUniqArrayArray(agents)) AS agents,
    arraySort(groupUniqArrayArray(agent_names)) AS agent_names,
    arraySort(groupUniqArrayArray(tools)) AS tools,
    arraySort(groupUniqArrayArray(target_tenants)) AS target_tenants,
    arraySort(groupUniqArrayArray(credential_ids)) AS credential_ids,
    max(has_error) AS has_error
  FROM ${table(db, 'task_hours')}
  WHERE ${rows} AND ${keys}
  GROUP BY tenant_id, task_id
) AS s
LEFT JOIN (
  -- alerts are counted by distinct alert_id, so no version needs collapsing
  SELECT tenant_id, task_id, uniqExact(alert_id) AS alert_count
  FROM ${table(db, 'alerts')}
  WHERE ${keys}
  GROUP BY tenant_id, task_id
) AS a ON s.tenant_id = a.tenant_id AND s.task_id = a.task_id
ORDER BY started_at_us DESC, last_seen_us DESC, tenant_id, task_id`
}

/** Settings summarySql needs: a task without alerts gets 0, not NULL. */
export const SUMMARY_SETTINGS = { join_use_nulls: 0 } as const

export interface SummaryRow {
  tenant_id: string
  task_id: string
  started_at_us: number | string
  ended_at_us: number | string | null
  last_seen_us: number | string
  counts: Record<string, number | string>
  agents: string[]
  agent_names: string[]
  tools: string[]
  target_tenants: string[]
  credential_ids: string[]
  has_error: number
  alert_count: number | string
}

export function toSummary(row: SummaryRow): TaskSummary {
  const counts: Record<string, number> = {}
  let total = 0
  for (const [kind, n] of Object.entries(row.counts)) total += counts[kind] = Number(n)
  return {
    tenant_id: row.tenant_id,
    task_id: row.task_id,
    started_at: msFromMicros(row.started_at_us) as number,
    ended_at: msFromMicros(row.ended_at_us),
    last_seen: msFromMicros(row.last_seen_us) as number,
    counts,
    event_count: total,
    agents: row.agents,
    agent_names: row.agent_names,
    tools: row.tools,
    target_tenants: row.target_tenants,
    credential_ids: row.credential_ids,
    has_error: Number(row.has_error) === 1,
    alert_count: Number(row.alert_count),
  }
}
