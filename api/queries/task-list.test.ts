/**
 * The task list read from task_hours / task_times (migration 009) returns what the aggregation
 * over every task in task_summary returned before it, for every filter and page size, on the
 * task history of testkit/fixtures/task-history.ts.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../core/store/migrate.js'
import { MIGRATIONS } from '../../core/store/migrations/index.js'
import { DAY, HOUR, loadHistory, MIDNIGHT, MIN, taskHistory } from '../../testkit/fixtures/task-history.js'
import { DB, openTestStore, type TestStore } from '../../testkit/store.js'
import { getTask } from './task-detail.js'
import { listTasks, type ListTasksFilter } from './tasks.js'
import { toSummary, type SummaryRow } from './task-summary.js'
import type { Scope } from './scope.js'
import type { QueryClient } from './tasks.js'
import type { TaskSummary } from '../schemas.js'

const UPGRADED = 'upgraded'

/** What listTasks answered before migration 009: every task in task_summary, aggregated, then ordered. */
async function before(client: QueryClient, db: string, filter: ListTasksFilter, scope: Scope): Promise<TaskSummary[]> {
  const tenant = scope.tenant === '*' ? filter.tenant : filter.tenant === undefined || filter.tenant === scope.tenant ? scope.tenant : null
  if (tenant === null) return []
  const params = { tenant, since_us: (filter.since ?? 0) * 1000, until_us: (filter.until ?? 0) * 1000, limit: filter.limit ?? 100 }
  const tenantOnly = tenant === undefined ? '' : 'tenant_id = {tenant:String} AND '
  const where = [
    tenant === undefined ? '' : 'tenant_id = {tenant:String}',
    filter.since === undefined ? '' : `(tenant_id, task_id) IN (SELECT tenant_id, task_id FROM ${db}.task_summary WHERE ${tenantOnly}last_seen >= fromUnixTimestamp64Micro({since_us:Int64}))`,
    filter.until === undefined ? '' : `(tenant_id, task_id) IN (SELECT tenant_id, task_id FROM ${db}.task_summary WHERE ${tenantOnly}started_at <= fromUnixTimestamp64Micro({until_us:Int64}))`,
  ].filter(Boolean)
  const query = `
SELECT s.*, a.alert_count AS alert_count FROM (
  SELECT tenant_id, task_id, toUnixTimestamp64Micro(min(started_at)) AS started_at_us, toUnixTimestamp64Micro(max(ended_at)) AS ended_at_us,
    toUnixTimestamp64Micro(max(last_seen)) AS last_seen_us, uniqExactMapMerge(kind_counts) AS counts, arraySort(groupUniqArrayArray(agents)) AS agents,
    arraySort(groupUniqArrayArray(agent_names)) AS agent_names, arraySort(groupUniqArrayArray(tools)) AS tools,
    arraySort(groupUniqArrayArray(target_tenants)) AS target_tenants, arraySort(groupUniqArrayArray(credential_ids)) AS credential_ids, max(has_error) AS has_error
  FROM ${db}.task_summary ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
  GROUP BY tenant_id, task_id
) AS s
LEFT JOIN (SELECT tenant_id, task_id, uniqExact(alert_id) AS alert_count FROM ${db}.alerts ${tenant === undefined ? '' : 'WHERE tenant_id = {tenant:String}'} GROUP BY tenant_id, task_id) AS a
  ON s.tenant_id = a.tenant_id AND s.task_id = a.task_id
${filter.hasAlerts === undefined ? '' : `WHERE alert_count ${filter.hasAlerts ? '> 0' : '= 0'}`}
ORDER BY started_at_us DESC, last_seen_us DESC, tenant_id, task_id
LIMIT {limit:UInt32}`
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { join_use_nulls: 0 } })
  return (await result.json<SummaryRow>()).map(toSummary)
}

let store: TestStore
const history = taskHistory()

beforeAll(async () => {
  store = await openTestStore('privpath-task-list-')
  await loadHistory(store.client, DB, history)
  // A store that had this history before migration 009 and was upgraded.
  await migrate(store.client, { database: UPGRADED, eventsTtlDays: 30 }, MIGRATIONS.filter((m) => m.version < 9))
  await loadHistory(store.client, UPGRADED, history)
  await migrate(store.client, { database: UPGRADED, eventsTtlDays: 30 })
}, 120_000)

afterAll(async () => {
  await store?.destroy()
})

const admin = { tenant: '*' }
const ids = (tasks: TaskSummary[]) => tasks.map((t) => `${t.tenant_id}/${t.task_id}`)

describe('the task list', () => {
  // Any time, or one next to the named cases: an hour that only the woken tasks have, the ties' start, midnight.
  const at = fc.oneof(
    fc.integer({ min: MIDNIGHT - 3 * DAY, max: MIDNIGHT + 2 * DAY }),
    fc.constantFrom(MIDNIGHT + 12 * HOUR + 20_000, MIDNIGHT + 12 * HOUR + 40_000, MIDNIGHT + 3 * HOUR, MIDNIGHT, MIDNIGHT + 2 * HOUR + MIN),
  )
  const filters = fc.record(
    {
      tenant: fc.constantFrom('acme', 'globex', 'initech'),
      since: at,
      until: at,
      hasAlerts: fc.boolean(),
      limit: fc.constantFrom(1, 2, 3, 7, 20, 60, 500),
    },
    { requiredKeys: ['limit'] },
  )
  const nows = fc.constantFrom(MIDNIGHT + 2 * DAY, MIDNIGHT, MIDNIGHT - 5 * DAY)
  const scopes = fc.constantFrom(admin, { tenant: 'acme' }, { tenant: 'globex' })

  it('returns the tasks, summaries and order the aggregation over task_summary returned', async () => {
    await fc.assert(
      fc.asyncProperty(filters, scopes, nows, async (filter, scope, now) => {
        expect((await listTasks(store.client, DB, filter, scope, now)).tasks).toEqual(await before(store.client, DB, filter, scope))
      }),
      { numRuns: 150 },
    )
  }, 300_000)

  it('takes a time past the hours column’s range (2106) for what it is', async () => {
    const far = Date.UTC(2200, 0, 1)
    expect((await listTasks(store.client, DB, { until: far, limit: 20 }, admin)).tasks).toEqual(await before(store.client, DB, { limit: 20 }, admin))
    expect((await listTasks(store.client, DB, { since: far, limit: 20 }, admin)).tasks).toEqual([])
    expect((await listTasks(store.client, DB, { limit: 20 }, admin, far)).tasks).toEqual(await before(store.client, DB, { limit: 20 }, admin))
  })

  it('lists a task that spans midnight once, whole, from either side', async () => {
    for (const filter of [{ since: MIDNIGHT + MIN }, { until: MIDNIGHT - MIN }, { since: MIDNIGHT + MIN, until: MIDNIGHT - MIN }, {}]) {
      const tasks = (await listTasks(store.client, DB, { ...filter, tenant: 'acme', limit: 500 }, admin)).tasks.filter((t) => t.task_id === 'midnight')
      expect(tasks).toMatchObject([{ started_at: MIDNIGHT - 10 * MIN, last_seen: MIDNIGHT + 10 * MIN, event_count: 4, alert_count: 1 }])
    }
    const detail = await getTask(store.client, DB, 'midnight', admin)
    expect(detail?.events.map((e) => e.ts)).toEqual([MIDNIGHT - 10 * MIN, MIDNIGHT - 5 * MIN, MIDNIGHT + 5 * MIN, MIDNIGHT + 10 * MIN])
  })

  it('places a task whose window holds only its late events at its real start', async () => {
    const filter = { tenant: 'globex', since: MIDNIGHT + HOUR, limit: 500 }
    const { tasks } = await listTasks(store.client, DB, filter, admin)
    expect(tasks.filter((t) => t.task_id === 'late-only')).toMatchObject([{ started_at: MIDNIGHT - 3 * HOUR, last_seen: MIDNIGHT + 2 * HOUR + MIN, event_count: 4 }])
    expect(ids(tasks)).toEqual(ids(await before(store.client, DB, filter, admin)))
  })

  it('keeps the tasks that started in an hour on the page when older tasks wake up in it', async () => {
    // Sixty tasks from yesterday have the latest activity before `until`; a page of three needs more candidates than that.
    for (const filter of [{ until: MIDNIGHT + 12 * HOUR + 70_000, limit: 3 }, { until: MIDNIGHT + 12 * HOUR + 70_000, limit: 3, tenant: 'acme' }]) {
      const { tasks } = await listTasks(store.client, DB, filter, admin)
      expect(tasks.some((t) => t.task_id.startsWith('woke'))).toBe(false)
      expect(tasks).toEqual(await before(store.client, DB, filter, admin))
    }
  })

  it('splits the tasks into those with alerts and those without', async () => {
    const all = ids((await listTasks(store.client, DB, { limit: 500 }, admin)).tasks)
    const alerted = ids((await listTasks(store.client, DB, { limit: 500, hasAlerts: true }, admin)).tasks)
    const quiet = ids((await listTasks(store.client, DB, { limit: 500, hasAlerts: false }, admin)).tasks)
    expect(alerted).toContain('acme/midnight')
    expect(alerted).toContain('globex/shared')
    expect(quiet).toContain('acme/shared')
    expect([...alerted, ...quiet].sort()).toEqual([...all].sort())
    expect(all.length).toBeGreaterThan(200)
  })

  it('shows each task on its page with the summary the list shows, its events cut at the limit or not', async () => {
    const { tasks } = await listTasks(store.client, DB, { limit: 500 }, admin)
    expect(tasks.length).toBeGreaterThan(280)
    for (const listed of tasks) {
      const page = await getTask(store.client, DB, listed.task_id, admin, { tenant: listed.tenant_id })
      expect(page?.task, `${listed.tenant_id}/${listed.task_id}`).toEqual(listed)
      expect(page?.events).toHaveLength(listed.event_count)
      const cut = await getTask(store.client, DB, listed.task_id, { tenant: listed.tenant_id }, { limit: 1 })
      expect(cut?.task).toEqual(listed)
      expect(cut?.truncated).toBe(listed.event_count > 1)
    }
    // Without a tenant, an admin gets the most recently active of the tasks that share the id.
    expect((await getTask(store.client, DB, 'shared', admin))?.task).toEqual(tasks.find((t) => t.task_id === 'shared'))
  }, 120_000)

  it('lists an upgraded store’s earlier history as a store that had migration 009 from the start', async () => {
    for (const filter of [{ limit: 500 }, { limit: 5, since: MIDNIGHT }, { limit: 50, until: MIDNIGHT, hasAlerts: true }]) {
      expect((await listTasks(store.client, UPGRADED, filter, admin)).tasks).toEqual((await listTasks(store.client, DB, filter, admin)).tasks)
    }
  })
})
