/**
 * Tasks: the per-task summary kept by the `task_summary` materialized view, with the number of
 * alerts raised on each task, and a task's full event list.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { quoteIdentifier } from '../../core/store/ddl.js'
import { EVENT_SELECT, rowToEvent } from '../../core/store/rows.js'
import { badRequest, limitOf, msFromMicros, requireString, timeParam, visibleTenant, type Scope } from './scope.js'
import type { TaskDetail, TaskSummary } from '../schemas.js'
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

const table = (db: string, name: string): string => `${quoteIdentifier(db)}.${quoteIdentifier(name)}`

function summarySql(db: string, where: Conditions): string {
  return `
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
FROM ${table(db, 'task_summary')}
${where.sql('WHERE')}
GROUP BY tenant_id, task_id`
}

/** Alert counts per task; alerts are counted by distinct alert_id, so no version needs collapsing. */
function alertCountSql(db: string, where: Conditions): string {
  return `
SELECT tenant_id, task_id, uniqExact(alert_id) AS alert_count
FROM ${table(db, 'alerts')}
${where.sql('WHERE')}
GROUP BY tenant_id, task_id`
}

interface SummaryRow {
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

function toSummary(row: SummaryRow): TaskSummary {
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

async function summaries(
  client: QueryClient,
  db: string,
  filter: { tenant: string | undefined; taskId?: string; since?: number; until?: number; hasAlerts?: boolean },
  limit: number,
): Promise<TaskSummary[]> {
  const params: Record<string, unknown> = { limit }
  const since = timeParam('since', filter.since)
  const until = timeParam('until', filter.until)
  const where = new Conditions(params).add('tenant_id = {tenant:String}', 'tenant', filter.tenant).add('task_id = {task:String}', 'task', filter.taskId)
  // Time bounds hold for a task when they hold for any of its partial (not yet merged) rows, so
  // they pick candidate tasks before the aggregation; filtering the partial rows themselves would
  // drop part of a task's summary.
  const tenantOnly = filter.tenant === undefined ? '' : 'tenant_id = {tenant:String} AND '
  const candidates = (condition: string): string =>
    `(tenant_id, task_id) IN (SELECT tenant_id, task_id FROM ${table(db, 'task_summary')} WHERE ${tenantOnly}${condition})`
  if (since !== undefined) where.add(candidates('last_seen >= fromUnixTimestamp64Micro({since_us:Int64})'), 'since_us', since)
  if (until !== undefined) where.add(candidates('started_at <= fromUnixTimestamp64Micro({until_us:Int64})'), 'until_us', until)
  const alertsWhere = new Conditions(params).add('tenant_id = {tenant:String}', 'tenant', filter.tenant).add('task_id = {task:String}', 'task', filter.taskId)
  const outer = new Conditions(params)
  if (filter.hasAlerts === true) outer.add('alert_count > 0')
  if (filter.hasAlerts === false) outer.add('alert_count = 0')
  const query = `
SELECT s.*, a.alert_count AS alert_count
FROM (${summarySql(db, where)}) AS s
LEFT JOIN (${alertCountSql(db, alertsWhere)}) AS a ON s.tenant_id = a.tenant_id AND s.task_id = a.task_id
${outer.sql('WHERE')}
ORDER BY started_at_us DESC, last_seen_us DESC, tenant_id, task_id
LIMIT {limit:UInt32}`
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { join_use_nulls: 0 } })
  return (await result.json<SummaryRow>()).map(toSummary)
}

/** Tasks newest first (by start), each with its counts by kind and its alert count. */
export async function listTasks(client: QueryClient, db: string, filter: ListTasksFilter, scope: Scope): Promise<{ tasks: TaskSummary[] }> {
  const tenant = visibleTenant(scope, filter.tenant)
  const limit = limitOf(filter.limit, 100)
  if (filter.hasAlerts !== undefined && typeof filter.hasAlerts !== 'boolean') throw badRequest('hasAlerts must be a boolean')
  timeParam('since', filter.since)
  timeParam('until', filter.until)
  if (tenant === null) return { tasks: [] }
  return { tasks: await summaries(client, db, { tenant, since: filter.since, until: filter.until, hasAlerts: filter.hasAlerts }, limit) }
}

export interface GetTaskOptions {
  /** Which tenant's task, when an admin reads a task id several tenants use. */
  tenant?: string
  /** Most events returned (default 10 000). */
  limit?: number
}

/**
 * A task and its events, each event once however often it was delivered. Null when the caller's
 * scope has no such task. Without a tenant, an admin gets the most recently active task of that id.
 */
/**
 * A task root's task_start shares ts and seq with the root span's own event, and its task_end can
 * share ts with events that ended with it: among events at one ts the task opens first and closes last.
 */
const BOUNDARY_RANK = "multiIf(kind = 'task_start', 0, kind = 'task_end', 2, 1)"

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
  const [task] = (await summaries(client, db, { tenant, taskId }, 1_000)).sort((a, b) => b.last_seen - a.last_seen)
  if (!task) return null
  const result = await client.query({
    query: `
SELECT ${EVENT_SELECT}
FROM ${table(db, 'events')}
WHERE tenant_id = {tenant:String} AND task_id = {task:String}
ORDER BY ts, ${BOUNDARY_RANK}, seq, event_id
LIMIT 1 BY event_id
LIMIT {limit:UInt32}`,
    query_params: { tenant: task.tenant_id, task: taskId, limit: limit + 1 },
    format: 'JSONEachRow',
  })
  const events = (await result.json<Record<string, unknown>>()).map(rowToEvent)
  const truncated = events.length > limit
  return { task, events: truncated ? events.slice(0, limit) : events, truncated }
}
