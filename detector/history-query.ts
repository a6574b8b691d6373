/**
 * The SQL of the detector's history (history.ts). Which rows: over the last `hours`, every event
 * of a *held* task (no task_end yet, an event within `inactivityMs` of its domain's newest one,
 * and among the `maxTasks` most recently active of its domain: the tasks the detector would still
 * hold), every credential event and task_end (→ registry), the authz decisions of other open
 * tasks (→ agents with decisions); over `tombstoneHours`, credential issues and revocations (→
 * tombstones). Which tasks get task state from their rows: held ones, and ended ones whose end is
 * within `retentionMs` of their domain's newest event (the detector still holds those too).
 *
 * A bounded amount at a time: the embedded store (chDB) hands a result over whole, so one query
 * over the window held every row in memory at once. The restore reads pages of whole tasks: a
 * page is a range of the table's sorting key (tenant_id, task_id), which ClickHouse finds through
 * its primary index, so each page reads its own part of the table and no other page's; a task's
 * rows come oldest first. Whole events for the rules are read in slices of time instead (see
 * `planQuery`). The task sets are made once into temporary tables (a server keeps those per
 * session: a read is one session). Values reach ClickHouse as query parameters, never as SQL text.
 */

export interface HistoryWindow {
  /** Database name, unquoted. */
  database: string
  hours: number
  tombstoneHours: number
  /** 0: open tasks are held however long they were idle. */
  inactivityMs: number
  /** undefined: every ended task of the window gets task state from its rows. */
  retentionMs: number | undefined
  /** Held tasks per domain at most (detector.max_tasks); undefined: no bound. */
  maxTasks: number | undefined
  /** Newest event time per domain in the window, µs (from `newestQuery`); held tasks are judged against it. */
  newest: ReadonlyMap<string, number>
}

/** Names of the temporary tables of one read (generated identifiers). */
export interface TaskSets {
  /** Tasks that ended in the window; `recent` when within `retentionMs` of their domain's newest event. */
  ended: string
  /** Tasks the detector holds. */
  held: string
}

export interface Statement {
  query: string
  params: Record<string, unknown>
}

/** First key of a page; rows of keys from it up to the next page's first key (excluded) make the page. */
export type PageStart = [tenant_id: string, task_id: string]

const REGISTRY_KINDS = "kind IN ('credential_issued', 'credential_used', 'credential_revoked', 'task_end') OR credential_id != ''"
const TOMBSTONE_KINDS = "kind IN ('credential_issued', 'credential_revoked')"
const TASK = '(domain, tenant_id, task_id)'

const hoursAgo = (hours: number) => `now64(6) - INTERVAL ${Math.max(1, Math.ceil(hours))} HOUR`
const table = (w: Pick<HistoryWindow, 'database'>) => `\`${w.database.replace(/`/g, '')}\`.events`

/** Newest event time per domain over the window, in µs. */
export function newestQuery(w: Pick<HistoryWindow, 'database' | 'hours'>): string {
  return `SELECT domain, toUnixTimestamp64Micro(max(ts)) AS newest FROM ${table(w)} WHERE ts >= ${hoursAgo(w.hours)} GROUP BY domain`
}

/**
 * Rows within `ms` of their domain's newest event (parameters `<name>_domains`, `<name>_floors`,
 * `<name>_floor`). The bound on `ts` alone (the loosest domain's) lets ClickHouse skip old parts.
 */
function withinOfNewest(w: HistoryWindow, ms: number, name: string, params: Record<string, unknown>): string {
  const domains = [...w.newest.keys()]
  const floors = domains.map((d) => Math.floor(w.newest.get(d)! - ms * 1000))
  params[`${name}_domains`] = domains
  params[`${name}_floors`] = floors
  params[`${name}_floor`] = floors.length === 0 ? 0 : Math.min(...floors)
  return `ts > fromUnixTimestamp64Micro({${name}_floor:Int64})
    AND toUnixTimestamp64Micro(ts) > transform(domain, {${name}_domains:Array(String)}, {${name}_floors:Array(Int64)}, {${name}_floor:Int64})`
}

/** The statements that fill the task sets, in order. */
export function taskSetStatements(w: HistoryWindow, sets: TaskSets): Statement[] {
  const since = hoursAgo(w.hours)
  const endedParams: Record<string, unknown> = {}
  const recent = w.retentionMs === undefined ? '1' : withinOfNewest(w, w.retentionMs, 'retained', endedParams)
  const ended = `CREATE TEMPORARY TABLE ${sets.ended} ENGINE = Memory AS
    SELECT domain, tenant_id, task_id, max(${recent}) AS recent FROM ${table(w)}
    WHERE ts >= ${since} AND kind = 'task_end' GROUP BY domain, tenant_id, task_id`
  const heldParams: Record<string, unknown> = {}
  // a held task has an event in the last `inactivityMs`: only those rows need looking at, not the window's
  const active = w.inactivityMs === 0 ? '' : ` AND ${withinOfNewest(w, w.inactivityMs, 'active', heldParams)}`
  const cap = w.maxTasks === undefined ? '' : ` ORDER BY max(ts) DESC LIMIT ${Math.max(1, Math.floor(w.maxTasks))} BY domain`
  const held = `CREATE TEMPORARY TABLE ${sets.held} ENGINE = Memory AS
    SELECT domain, tenant_id, task_id FROM ${table(w)}
    WHERE ts >= ${since}${active} AND task_id != '' AND ${TASK} NOT IN (SELECT domain, tenant_id, task_id FROM ${sets.ended})
    GROUP BY domain, tenant_id, task_id${cap}`
  return [
    { query: ended, params: endedParams },
    { query: held, params: heldParams },
  ]
}

export function dropStatements(sets: TaskSets): string[] {
  return [`DROP TEMPORARY TABLE IF EXISTS ${sets.held}`, `DROP TEMPORARY TABLE IF EXISTS ${sets.ended}`]
}

function rowFilter(w: HistoryWindow, sets: TaskSets): string {
  // the decisions of open tasks no longer held still tell which agents have a policy engine (state/agents.ts)
  const decisions = `kind = 'authz_decision' AND ${TASK} NOT IN (SELECT domain, tenant_id, task_id FROM ${sets.ended})`
  return `ts >= ${hoursAgo(Math.max(w.hours, w.tombstoneHours))}
    AND ((ts >= ${hoursAgo(w.hours)} AND (${TASK} IN ${sets.held} OR ${REGISTRY_KINDS} OR (${decisions}))) OR ${TOMBSTONE_KINDS})`
}

/** The first key of each page of about `pageRows` rows (a task with more rows is a page of its own). */
export function pagesQuery(w: HistoryWindow, sets: TaskSets, pageRows: number): string {
  const per = Math.max(1, Math.floor(pageRows))
  return `SELECT min((tenant_id, task_id)) AS start FROM (
      SELECT tenant_id, task_id,
        intDiv(sum(c) OVER (ORDER BY tenant_id, task_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - c, ${per}) AS page
      FROM (SELECT tenant_id, task_id, count() AS c FROM ${table(w)} WHERE ${rowFilter(w, sets)} GROUP BY tenant_id, task_id)
    )
    GROUP BY page ORDER BY page`
}

/**
 * The rows of the page from `start` up to `next` (excluded; undefined: to the end), a task's rows
 * together and oldest first, one per (domain, tenant, event id). `columns`: the select list; with
 * `held`, a last column says whether the row's task gets task state (1) or only the registry
 * takes it (0).
 */
export function pageQuery(w: HistoryWindow, sets: TaskSets, columns: string, start: PageStart, next: PageStart | undefined, held: boolean): Statement {
  const flag = held ? `, toUInt8(${TASK} IN ${sets.held} OR ${TASK} IN (SELECT domain, tenant_id, task_id FROM ${sets.ended} WHERE recent)) AS state_held` : ''
  // spelled out rather than as tuple comparisons, which the primary index does not use
  const from = '(tenant_id > {from_tenant:String} OR (tenant_id = {from_tenant:String} AND task_id >= {from_task:String}))'
  const until = next === undefined ? '' : ' AND (tenant_id < {until_tenant:String} OR (tenant_id = {until_tenant:String} AND task_id < {until_task:String}))'
  return {
    query: `SELECT ${columns}${flag}
      FROM ${table(w)}
      WHERE ${from}${until} AND ${rowFilter(w, sets)}
      ORDER BY tenant_id, task_id, ts, seq, event_id
      LIMIT 1 BY domain, tenant_id, event_id`,
    params: { from_tenant: start[0], from_task: start[1], ...(next === undefined ? {} : { until_tenant: next[0], until_task: next[1] }) },
  }
}

/** Quantiles of row times the plan returns: time slices are made of whole steps of 1/PLAN_STEPS of the rows. */
const PLAN_STEPS = 64

export interface Plan {
  rows: number
  oldest: number
  newest: number
  steps: number[]
}

/**
 * Whole events must reach the rules in time order across tasks (windows span tasks), so they are
 * read in slices of time instead of pages of tasks: the row count, the oldest and newest times
 * (µs) and PLAN_STEPS - 1 quantiles of the times.
 */
export function planQuery(w: HistoryWindow, sets: TaskSets): string {
  const levels = Array.from({ length: PLAN_STEPS - 1 }, (_, i) => ((i + 1) / PLAN_STEPS).toFixed(6)).join(', ')
  return `SELECT count() AS rows, toUnixTimestamp64Micro(min(ts)) AS oldest, toUnixTimestamp64Micro(max(ts)) AS newest,
    quantiles(${levels})(toUnixTimestamp64Micro(ts)) AS steps
    FROM ${table(w)} WHERE ${rowFilter(w, sets)}`
}

/**
 * Slice bounds [from, to) in µs covering [oldest, newest], each about `pageRows` rows (never less
 * than one step of rows; quantiles are approximate, a slice may hold a few percent more).
 */
export function slices(plan: Plan, pageRows: number): Array<[number, number]> {
  if (plan.rows === 0) return []
  const end = Math.floor(plan.newest) + 1
  const every = Math.max(1, Math.floor(pageRows / Math.max(1, plan.rows / PLAN_STEPS)))
  const bounds = [Math.floor(plan.oldest)]
  for (let i = every - 1; i < plan.steps.length; i += every) {
    const at = Math.floor(plan.steps[i])
    if (at > bounds.at(-1)! && at < end) bounds.push(at)
  }
  bounds.push(end)
  return bounds.slice(1).map((to, i) => [bounds[i], to])
}

/** The rows with times in [from, to) µs, oldest first, one per (domain, tenant, event id). */
export function sliceQuery(w: HistoryWindow, sets: TaskSets, columns: string, from: number, to: number): Statement {
  return {
    query: `SELECT ${columns}
      FROM ${table(w)}
      PREWHERE ts >= fromUnixTimestamp64Micro({from:Int64}) AND ts < fromUnixTimestamp64Micro({to:Int64})
      WHERE ${rowFilter(w, sets)}
      ORDER BY ts, seq, event_id
      LIMIT 1 BY domain, tenant_id, event_id`,
    params: { from: Math.floor(from), to: Math.floor(to) },
  }
}
