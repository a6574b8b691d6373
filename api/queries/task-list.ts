/**
 * Which tasks a page of the task list shows (newest start first), read a window of hours at a time
 * from `task_hours` instead of aggregating every task in the store (migration 009).
 *
 * A window is the rows of the hours from `from` on. A task that started inside it has all of its
 * rows there, so their earliest time is its start; one that started earlier shows a later start
 * there, and `task_times` (keyed by task) tells the two apart. So: take the `k` candidates with
 * the latest start in the window; those that really started in it are exactly the listed tasks
 * that started at or after the k-th candidate's window start, in order. When they fill the page
 * that is the page; otherwise more candidates, or a longer window, until the window holds every
 * task the filters admit.
 *
 * With `since`, no window reaches before since's hour: every task active since then has rows
 * there. Those of them that started before it end the page; with `until` as well, the windows
 * stop at until's hour, and those tasks come from `task_times` as a whole.
 */
import type { QueryClient } from './tasks.js'
import { table } from './task-summary.js'
import { Conditions } from './where.js'

export interface PageQuery {
  /** One tenant, or every tenant when undefined. */
  tenant: string | undefined
  /** µs: tasks active (last seen) at or after. */
  since?: number
  /** µs: tasks started at or before. */
  until?: number
  hasAlerts?: boolean
  limit: number
  /** µs: where a list without `until` starts looking. */
  now: number
}

/** A listed task and its sort key: whole start and last activity. */
export interface ListedTask {
  tenant_id: string
  task_id: string
  started_at_us: number
  last_seen_us: number
}

const HOUR_US = 3_600_000_000
const hourOf = (us: number): number => Math.floor(us / HOUR_US) * HOUR_US
/** Seconds for a DateTime parameter: the hours column holds 1970 to 2106, and so does a window. */
const seconds = (us: number): number => Math.max(0, Math.min(2 ** 32 - 1, Math.floor(us / 1_000_000)))

/** ClickHouse compares strings as bytes; so does the list's order here. */
const bytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** The list's order: start, then last activity, newest first; then tenant and task id. */
function compareListed(a: ListedTask, b: ListedTask): number {
  return b.started_at_us - a.started_at_us || b.last_seen_us - a.last_seen_us || bytes(a.tenant_id, b.tenant_id) || bytes(a.task_id, b.task_id)
}

interface TimesRow {
  tenant_id: string
  task_id: string
  started_at_us: number | string
  last_seen_us: number | string
}

const toListed = (r: TimesRow): ListedTask => ({
  tenant_id: r.tenant_id,
  task_id: r.task_id,
  started_at_us: Number(r.started_at_us),
  last_seen_us: Number(r.last_seen_us),
})

const admits = (q: PageQuery) => (t: ListedTask): boolean =>
  (q.since === undefined || t.last_seen_us >= q.since) && (q.until === undefined || t.started_at_us <= q.until)

/** Whole start and last activity per task, from the `task_times` rows that `where` admits. */
function timesSql(db: string, where: Conditions): string {
  return `SELECT tenant_id, task_id, toUnixTimestamp64Micro(min(started_at)) AS started_at_us, toUnixTimestamp64Micro(max(last_seen)) AS last_seen_us
FROM ${table(db, 'task_times')}
${where.sql('WHERE')}
GROUP BY tenant_id, task_id`
}

/** The tenant, and the tasks with (or without) alerts, as conditions on tenant_id, task_id. */
function scoped(db: string, q: PageQuery, params: Record<string, unknown>): Conditions {
  const where = new Conditions(params).add('tenant_id = {tenant:String}', 'tenant', q.tenant)
  if (q.hasAlerts === undefined) return where
  const alerted = `SELECT tenant_id, task_id FROM ${table(db, 'alerts')}${q.tenant === undefined ? '' : ' WHERE tenant_id = {tenant:String}'}`
  return where.add(`(tenant_id, task_id) ${q.hasAlerts ? 'IN' : 'NOT IN'} (${alerted})`)
}

interface Step {
  /** Admitted candidates that started inside the window. */
  inside: ListedTask[]
  /** Admitted candidates that started before it. */
  before: ListedTask[]
  /** Fewer than k candidates: the window holds no other task the filters admit. */
  exhausted: boolean
  candidates: number
}

async function step(client: QueryClient, db: string, q: PageQuery, from: number, k: number): Promise<Step> {
  const params: Record<string, unknown> = { from_s: seconds(from), k }
  const rows = scoped(db, q, params).add('hour >= toDateTime({from_s:UInt32})')
  const having = new Conditions(params)
  if (q.until === undefined) {
    // The window runs to the newest row, so a task's last activity in it is its whole last activity.
    having.add('max(last_seen) >= fromUnixTimestamp64Micro({since_us:Int64})', 'since_us', q.since)
  } else {
    rows.add('hour <= toDateTime({until_s:UInt32})', 'until_s', seconds(hourOf(q.until)))
    having.add('min(started_at) <= fromUnixTimestamp64Micro({until_us:Int64})', 'until_us', q.until)
  }
  const window = `SELECT tenant_id, task_id FROM ${table(db, 'task_hours')}
${rows.sql('WHERE')}
GROUP BY tenant_id, task_id
${having.sql('HAVING')}
ORDER BY min(started_at) DESC
LIMIT {k:UInt32} WITH TIES`
  const keys = new Conditions(params).add('tenant_id = {tenant:String}', 'tenant', q.tenant).add(`(tenant_id, task_id) IN (${window})`)
  const result = await client.query({
    query: `SELECT *, (SELECT count() FROM (${window})) AS candidates FROM (${timesSql(db, keys)})`,
    query_params: params,
    format: 'JSONEachRow',
  })
  const found = await result.json<TimesRow & { candidates: number | string }>()
  const admitted = found.map(toListed).filter(admits(q))
  // No row: no candidate, or none that task_times still holds (past its retention).
  const candidates = found.length === 0 ? 0 : Number(found[0].candidates)
  return {
    inside: admitted.filter((t) => t.started_at_us >= from),
    before: admitted.filter((t) => t.started_at_us < from),
    exhausted: candidates < k,
    candidates,
  }
}

/** The newest hour with rows before `from`, or null when there is none. */
async function hourBefore(client: QueryClient, db: string, q: PageQuery, from: number): Promise<number | null> {
  const params: Record<string, unknown> = { from_s: seconds(from) }
  const where = new Conditions(params).add('tenant_id = {tenant:String}', 'tenant', q.tenant).add('hour < toDateTime({from_s:UInt32})')
  const result = await client.query({
    query: `SELECT toUnixTimestamp(maxOrNull(hour)) AS hour_s FROM ${table(db, 'task_hours')} ${where.sql('WHERE')}`,
    query_params: params,
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ hour_s: number | string | null }>()
  return row === undefined || row.hour_s === null ? null : Number(row.hour_s) * 1_000_000
}

/**
 * Tasks active since `since` that started before `floor` (since's hour), when `until` kept the
 * windows from the rows that would show them: from `task_times` as a whole, newest first.
 */
async function startedBefore(client: QueryClient, db: string, q: PageQuery, floor: number, limit: number): Promise<ListedTask[]> {
  const params: Record<string, unknown> = { floor_us: floor, since_us: q.since, until_us: q.until, limit }
  const result = await client.query({
    query: `SELECT * FROM (${timesSql(db, scoped(db, q, params))})
WHERE started_at_us < {floor_us:Int64} AND started_at_us <= {until_us:Int64} AND last_seen_us >= {since_us:Int64}
ORDER BY started_at_us DESC, last_seen_us DESC, tenant_id, task_id
LIMIT {limit:UInt32}`,
    query_params: params,
    format: 'JSONEachRow',
  })
  return (await result.json<TimesRow>()).map(toListed)
}

/** When the newest `k` alerts in scope (first seen by `until`) begin, µs; `now` when there are none. */
async function newestAlerts(client: QueryClient, db: string, q: PageQuery, k: number): Promise<number> {
  const params: Record<string, unknown> = { k }
  const where = new Conditions(params)
    .add('tenant_id = {tenant:String}', 'tenant', q.tenant)
    .add('first_seen <= fromUnixTimestamp64Micro({until_us:Int64})', 'until_us', q.until)
  const result = await client.query({
    query: `SELECT toUnixTimestamp64Micro(min(first_seen)) AS first_us
FROM (SELECT first_seen FROM ${table(db, 'alerts')} ${where.sql('WHERE')} ORDER BY first_seen DESC LIMIT {k:UInt32})`,
    query_params: params,
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ first_us: number | string }>()
  const first = Number(row?.first_us ?? 0)
  return first > 0 ? first : q.now
}

/** The tasks of one page, in the list's order. */
export async function listPage(client: QueryClient, db: string, q: PageQuery): Promise<ListedTask[]> {
  const floor = q.since === undefined ? undefined : hourOf(q.since)
  const first = q.limit + Math.ceil(q.limit / 4) + 8
  let k = first
  // The hour `until` (or now) falls in, and the whole hour before it; for tasks with alerts, back
  // to where the newest k alerts begin, since those tasks are a few among many.
  const top = hourOf(q.until ?? q.now)
  let from = top - HOUR_US
  if (q.hasAlerts === true) from = Math.min(from, hourOf(await newestAlerts(client, db, q, k)))
  let width = top + HOUR_US - from
  let seen = -1
  for (;;) {
    if (floor !== undefined && from < floor) from = floor
    const { inside, before, exhausted, candidates } = await step(client, db, q, from, k)
    inside.sort(compareListed)
    if (inside.length >= q.limit) return inside.slice(0, q.limit)
    if (!exhausted) {
      k *= 4
      continue
    }
    // Only a longer window that found nothing more asks where the next rows are: an empty stretch
    // to jump, or none at all.
    const atFloor = floor !== undefined && from <= floor
    const older = atFloor ? null : candidates > seen ? from : await hourBefore(client, db, q, from)
    seen = candidates
    if (older === null) {
      // Every admitted task that started since `from` is in `inside`; the rest started earlier.
      const rest = q.until === undefined || floor === undefined ? before : await startedBefore(client, db, q, from, q.limit - inside.length)
      return [...inside, ...rest.sort(compareListed)].slice(0, q.limit)
    }
    // Wide enough for the page at the density seen so far, and never short of the next rows.
    width *= Math.min(64, Math.max(2, Math.ceil((2 * q.limit) / Math.max(1, inside.length))))
    from = Math.min(top - width + HOUR_US, older)
    k = Math.max(k, first)
  }
}
