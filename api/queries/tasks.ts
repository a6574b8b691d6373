/**
 * The task list: per-task summaries (from `task_hours`, migration 009) with the number of alerts
 * raised on each task, for the tasks task-list.ts picks. One task and its events: task-detail.ts.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { toMicros } from '../../core/store/rows.js'
import { badRequest, limitOf, timeParam, visibleTenant, type Scope } from './scope.js'
import type { TaskSummary } from '../schemas.js'
import { listPage, type ListedTask } from './task-list.js'
import { IN_KEYS, keyParams, SUMMARY_SETTINGS, summarySql, toSummary, type SummaryRow } from './task-summary.js'

export type QueryClient = Pick<ClickHouseClient, 'query'>

export interface ListTasksFilter {
  tenant?: string
  /** Tasks seen at or after this time (epoch ms). */
  since?: number
  /** Tasks started at or before this time (epoch ms). */
  until?: number
  limit?: number
  /** true: only tasks with alerts; false: only tasks without. */
  hasAlerts?: boolean
}

/** Summaries of `keys`, reading only the hours between their earliest start and latest activity. */
async function summaries(client: QueryClient, db: string, keys: ListedTask[]): Promise<TaskSummary[]> {
  if (keys.length === 0) return []
  const params: Record<string, unknown> = {
    ...keyParams(keys),
    from_s: Math.floor(Math.min(...keys.map((k) => k.started_at_us)) / 1_000_000),
    to_s: Math.floor(Math.max(...keys.map((k) => k.last_seen_us)) / 1_000_000),
  }
  const rows = 'hour >= toStartOfHour(toDateTime({from_s:UInt32})) AND hour <= toDateTime({to_s:UInt32})'
  const result = await client.query({ query: summarySql(db, rows, IN_KEYS), query_params: params, format: 'JSONEachRow', clickhouse_settings: SUMMARY_SETTINGS })
  return (await result.json<SummaryRow>()).map(toSummary)
}

/** Tasks newest first (by start), each with its counts by kind and its alert count. */
export async function listTasks(client: QueryClient, db: string, filter: ListTasksFilter, scope: Scope, now = Date.now()): Promise<{ tasks: TaskSummary[] }> {
  const tenant = visibleTenant(scope, filter.tenant)
  const limit = limitOf(filter.limit, 100)
  if (filter.hasAlerts !== undefined && typeof filter.hasAlerts !== 'boolean') throw badRequest('hasAlerts must be a boolean')
  const since = timeParam('since', filter.since)
  const until = timeParam('until', filter.until)
  if (tenant === null) return { tasks: [] }
  const page = await listPage(client, db, { tenant, since, until, hasAlerts: filter.hasAlerts, limit, now: toMicros(now, 'now') })
  return { tasks: await summaries(client, db, page) }
}
