/**
 * A task and its events in one read: the events within the task's start and last activity (from
 * `task_times`, so only the days it has events in), with the task's alert count; its summary is
 * folded from those events, which are all of them. When they are not (more than the limit), or an
 * admin's task id names tasks of several tenants, the summary comes from `task_hours` as in the
 * task list.
 */
import { EVENT_SELECT, rowToEvent } from '../../core/store/rows.js'
import type { PrivpathEvent } from '../../core/event.js'
import type { TaskDetail, TaskSummary } from '../schemas.js'
import { limitOf, requireString, visibleTenant, type Scope } from './scope.js'
import { SUMMARY_SETTINGS, summarySql, table, toSummary, type SummaryRow } from './task-summary.js'
import type { QueryClient } from './tasks.js'
import { Conditions } from './where.js'

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

const bytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** What task_hours' aggregates make of these events (each once): the same fields, the same order. */
function fold(tenant_id: string, task_id: string, events: PrivpathEvent[], alerts: number): TaskSummary {
  const counts: Record<string, number> = {}
  const sets = { agents: new Set<string>(), agent_names: new Set<string>(), tools: new Set<string>(), target_tenants: new Set<string>(), credential_ids: new Set<string>() }
  let ended: number | null = null
  for (const e of events) {
    counts[e.kind] = (counts[e.kind] ?? 0) + 1
    if (e.kind === 'task_end' && (ended === null || e.ts > ended)) ended = e.ts
    for (const [set, value] of [[sets.agents, e.agent_id], [sets.agent_names, e.agent_name], [sets.tools, e.tool_name], [sets.target_tenants, e.target_tenant], [sets.credential_ids, e.credential_id]] as const) {
      if (value !== '') set.add(value)
    }
  }
  const sorted = (set: Set<string>) => [...set].sort(bytes)
  return {
    tenant_id,
    task_id,
    started_at: Math.min(...events.map((e) => e.ts)),
    ended_at: ended,
    last_seen: Math.max(...events.map((e) => e.ts)),
    counts,
    event_count: events.length,
    agents: sorted(sets.agents),
    agent_names: sorted(sets.agent_names),
    tools: sorted(sets.tools),
    target_tenants: sorted(sets.target_tenants),
    credential_ids: sorted(sets.credential_ids),
    has_error: events.some((e) => e.status === 'error'),
    alert_count: alerts,
  }
}

/** task_hours summaries of each tenant's task of this id, in the list's order. */
async function summaries(client: QueryClient, db: string, key: string, params: Record<string, unknown>): Promise<SummaryRow[]> {
  const times = `FROM ${table(db, 'task_times')} WHERE ${key}`
  const rows = `hour >= toStartOfHour((SELECT min(started_at) ${times})) AND hour <= (SELECT max(last_seen) ${times})`
  const result = await client.query({ query: summarySql(db, rows, key), query_params: params, format: 'JSONEachRow', clickhouse_settings: SUMMARY_SETTINGS })
  return result.json<SummaryRow>()
}

type EventRow = Record<string, unknown> & { tenant_id: string; alert_counts: Array<[string, number | string]> }

/**
 * A task and its events, each event once however often it was delivered. Null when the caller's
 * scope has no such task. Without a tenant, an admin gets the most recently active task of that id.
 */
export async function getTask(client: QueryClient, db: string, taskId: string, scope: Scope, options: GetTaskOptions = {}): Promise<TaskDetail | null> {
  requireString('taskId', taskId)
  const tenant = visibleTenant(scope, options.tenant)
  const limit = limitOf(options.limit, 10_000)
  if (tenant === null) return null
  const params: Record<string, unknown> = { limit: limit + 1 }
  const key = new Conditions(params).add('task_id = {task:String}', 'task', taskId).add('tenant_id = {tenant:String}', 'tenant', tenant).sql('WHERE').slice('WHERE '.length)
  const times = `FROM ${table(db, 'task_times')} WHERE ${key}`
  const result = await client.query({
    query: `
SELECT *, (SELECT groupArray((tenant_id, alerts)) FROM (
  SELECT tenant_id, uniqExact(alert_id) AS alerts FROM ${table(db, 'alerts')} WHERE ${key} GROUP BY tenant_id)) AS alert_counts
FROM (
  SELECT ${EVENT_SELECT}
  FROM ${table(db, 'events')}
  WHERE ${key} AND ts >= (SELECT min(started_at) ${times}) AND ts <= (SELECT max(last_seen) ${times})
  ORDER BY ts, ${BOUNDARY_RANK}, seq, event_id
  LIMIT 1 BY tenant_id, event_id
)
ORDER BY tenant_id, ts_us, ${BOUNDARY_RANK}, seq, event_id
LIMIT {limit:UInt32} BY tenant_id`,
    query_params: params,
    format: 'JSONEachRow',
  })
  const byTenant = new Map<string, EventRow[]>()
  for (const row of await result.json<EventRow>()) byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), row])
  if (byTenant.size === 0) return null
  const [only] = byTenant
  let tenantId = only[0]
  let task: TaskSummary | undefined
  if (byTenant.size === 1 && only[1].length <= limit) {
    const alerts = only[1][0].alert_counts.find(([t]) => t === tenantId)
    task = fold(tenantId, taskId, only[1].map(toEvent), Number(alerts?.[1] ?? 0))
  } else {
    // The most recently active of the tenants' tasks; among equals, the list's first.
    const [row] = (await summaries(client, db, key, params)).sort((a, b) => Number(b.last_seen_us) - Number(a.last_seen_us))
    if (!row) return null
    tenantId = row.tenant_id
    task = toSummary(row)
  }
  const events = (byTenant.get(tenantId) ?? []).map(toEvent)
  const truncated = events.length > limit
  return { task, events: truncated ? events.slice(0, limit) : events, truncated }
}

function toEvent(row: EventRow): PrivpathEvent {
  const { alert_counts: _counts, ...event } = row
  return rowToEvent(event)
}
