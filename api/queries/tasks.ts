/**
 * Tasks: per-task summaries (from `task_hours`, migration 009) with the number of alerts raised on
 * each task, the list of them (which tasks: task-list.ts), and a task's full event list.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { EVENT_SELECT, rowToEvent, toMicros } from '../../core/store/rows.js'
import { badRequest, limitOf, requireString, timeParam, visibleTenant, type Scope } from './scope.js'
import type { TaskDetail, TaskSummary } from '../schemas.js'
import { listPage, toListed, type ListedTask } from './task-list.js'
import { IN_KEYS, keyParams, SUMMARY_SETTINGS, summarySql, table, toSummary, type SummaryRow } from './task-summary.js'
import { Conditions } from './where.js'

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

export interface GetTaskOptions {
  /** Which tenant's task, when an admin reads a task id several tenants use. */
  tenant?: string
  /** Most events returned (default 10 000). */
  limit?: number
}

/**
 * A task root's task_start shares ts and seq with the root span's own event, and its task_end can
 * share ts with events that ended with it: among events at one ts the task opens first and closes last.
 */
const BOUNDARY_RANK = "multiIf(kind = 'task_start', 0, kind = 'task_end', 2, 1)"

/**
 * The summary of each tenant's task of this id, its hours bounded by the task's start and last
 * activity in `task_times` (scalar subqueries: read before the hours, so they prune them).
 */
async function taskSummaries(client: QueryClient, db: string, taskId: string, tenant: string | undefined): Promise<SummaryRow[]> {
  const params: Record<string, unknown> = {}
  const key = new Conditions(params).add('task_id = {task:String}', 'task', taskId).add('tenant_id = {tenant:String}', 'tenant', tenant).sql('WHERE')
  const times = `FROM ${table(db, 'task_times')} ${key}`
  const rows = `hour >= toStartOfHour((SELECT min(started_at) ${times})) AND hour <= (SELECT max(last_seen) ${times})`
  const result = await client.query({ query: summarySql(db, rows, key.slice('WHERE '.length)), query_params: params, format: 'JSONEachRow', clickhouse_settings: SUMMARY_SETTINGS })
  return result.json<SummaryRow>()
}

/**
 * A task and its events, each event once however often it was delivered. Null when the caller's
 * scope has no such task. Without a tenant, an admin gets the most recently active task of that id.
 */
export async function getTask(
  client: QueryClient,
  db: string,
  taskId: string,
  scope: Scope,
  options: GetTaskOptions = {},
): Promise<TaskDetail | null> {
  requireString('taskId', taskId)
  const tenant = visibleTenant(scope, options.tenant)
  const limit = limitOf(options.limit, 10_000)
  if (tenant === null) return null
  // The most recently active of the tenants' tasks of this id; among equals, the list's first.
  const [row] = (await taskSummaries(client, db, taskId, tenant)).sort((a, b) => Number(b.last_seen_us) - Number(a.last_seen_us))
  if (!row) return null
  const key = toListed(row)
  // The task's own time range confines the read to the days (partitions) it has events in.
  const result = await client.query({
    query: `
SELECT ${EVENT_SELECT}
FROM ${table(db, 'events')}
WHERE tenant_id = {tenant:String} AND task_id = {task:String}
  AND ts >= fromUnixTimestamp64Micro({from_us:Int64}) AND ts <= fromUnixTimestamp64Micro({to_us:Int64})
ORDER BY ts, ${BOUNDARY_RANK}, seq, event_id
LIMIT 1 BY event_id
LIMIT {limit:UInt32}`,
    query_params: { tenant: key.tenant_id, task: taskId, from_us: key.started_at_us, to_us: key.last_seen_us, limit: limit + 1 },
    format: 'JSONEachRow',
  })
  const events = (await result.json<Record<string, unknown>>()).map(rowToEvent)
  const truncated = events.length > limit
  return { task: toSummary(row), events: truncated ? events.slice(0, limit) : events, truncated }
}
