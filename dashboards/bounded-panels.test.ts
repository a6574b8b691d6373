/**
 * The Grafana panels that read a bounded slice of the store answer what reading all of it
 * answers: the task counts and the task picker from task_hours / task_times, the task drill-down
 * within the task's own time range, the credential panels from the credentials active in the
 * range. On the task history fixture, for ranges that end now, end in the past or cover
 * everything, for every tenant and for tasks that span midnight, pause for days or share an id.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY, HOUR, loadHistory, MIDNIGHT, MIN, taskHistory } from '../testkit/fixtures/task-history.js'
import { DB, openTestStore, type TestStore } from '../testkit/store.js'
import { renderPanelSql } from './macros.js'

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ refId: string; rawSql: string }> }>
  templating: { list: Array<{ name: string; query: string }> }
}
const dashboard = (name: string): Dashboard => JSON.parse(readFileSync(join(import.meta.dirname, 'json', `${name}.json`), 'utf8')) as Dashboard
const sqlOf = (name: string, title: string, refId = 'A'): string =>
  dashboard(name).panels.find((p) => p.title === title)!.targets.find((t) => t.refId === refId)!.rawSql

const TENANT = "('${tenant}' = '*' OR tenant_id = '${tenant}')"
/** The bounds each panel adds to the SQL that read everything; taking them out gives that SQL back. */
const TASK_SPAN =
  ` AND ts >= (SELECT min(started_at) FROM \${database}.task_times WHERE task_id = '\${task_id}' AND ${TENANT})` +
  ` AND ts <= (SELECT max(last_seen) FROM \${database}.task_times WHERE task_id = '\${task_id}' AND ${TENANT})`
const ACTIVE_CREDENTIALS = ` AND credential_id IN (SELECT credential_id FROM \${database}.credentials WHERE last_seen >= $__fromTime AND ${TENANT})`
const ISSUED_IN_RANGE = ' AND credential_id IN (SELECT credential_id FROM ${database}.credentials WHERE issued_at >= $__fromTime AND issued_at <= $__toTime)'
const USED_CREDENTIALS = ' WHERE credential_id IN (SELECT credential_id FROM ${database}.credentials WHERE last_used_at >= $__fromTime)'
const USED_IN_RANGE = ' WHERE last_used_at >= $__fromTime'

const BOUNDED: Array<{ dashboard: string; title: string; refId?: string; bounds: string[] }> = [
  { dashboard: 'task', title: 'Timeline', bounds: [TASK_SPAN] },
  { dashboard: 'task', title: 'Privilege path', bounds: [TASK_SPAN] },
  { dashboard: 'task', title: 'Privilege path graph', bounds: [TASK_SPAN] },
  { dashboard: 'task', title: 'Privilege path graph', refId: 'B', bounds: [TASK_SPAN] },
  { dashboard: 'credentials', title: 'Lifecycle', bounds: [ACTIVE_CREDENTIALS] },
  { dashboard: 'credentials', title: 'Reused across tasks', bounds: [ACTIVE_CREDENTIALS] },
  { dashboard: 'credentials', title: 'Longest-lived', bounds: [ACTIVE_CREDENTIALS] },
  { dashboard: 'overview', title: 'Credentials by TTL', bounds: [ISSUED_IN_RANGE] },
  { dashboard: 'overview', title: 'Cross-tenant edges', bounds: [USED_CREDENTIALS, USED_IN_RANGE] },
]

/** What the task panels and the picker count: whole tasks, every partial row of task_summary merged. */
const WHOLE_TASKS = `SELECT tenant_id, task_id, max(ended_at) AS ended_at, max(last_seen) AS last_seen, min(started_at) AS started_at
  FROM \${database}.task_summary WHERE ${TENANT} GROUP BY tenant_id, task_id`
const REFERENCE: Record<string, string> = {
  'Active tasks': `SELECT countIf(ended_at IS NULL) AS active_tasks FROM (${WHOLE_TASKS}) WHERE last_seen >= $__fromTime AND last_seen <= $__toTime`,
  Tasks: `SELECT count() AS tasks FROM (${WHOLE_TASKS}) WHERE last_seen >= $__fromTime AND started_at <= $__toTime`,
  task_id: `SELECT task_id FROM (${WHOLE_TASKS}) GROUP BY task_id HAVING max(last_seen) >= $__fromTime ORDER BY task_id`,
}

const NOW = MIDNIGHT + 2 * DAY
const RANGES = [
  [NOW - 6 * HOUR, NOW],
  [MIDNIGHT - DAY, MIDNIGHT],
  [MIDNIGHT - 5 * MIN, MIDNIGHT + 5 * MIN],
  [MIDNIGHT + 30 * MIN, MIDNIGHT + 90 * MIN],
  [MIDNIGHT + 12 * HOUR, MIDNIGHT + 12 * HOUR + 30 * MIN],
  [MIDNIGHT - 3 * DAY, NOW],
]
const TENANTS = ['*', 'acme', 'globex']
const TASKS = ['midnight', 'late-only', 'paused', 'shared', 't7', 'woke3', 'after-end']

let store: TestStore
beforeAll(async () => {
  store = await openTestStore('privpath-panels-')
  await loadHistory(store.client, DB, taskHistory())
}, 120_000)
afterAll(async () => store?.destroy())

async function run(sql: string, range: number[], tenant: string, task = 'midnight'): Promise<string[]> {
  const text = renderPanelSql(sql, { from: range[0], to: range[1], intervalMs: 60_000, variables: { database: DB, tenant, task_id: task } })
  const result = await store.client.query({ query: text, format: 'JSONEachRow' })
  // Longest-lived counts seconds up to now64(): two reads a second apart differ there only.
  return (await result.json<Record<string, unknown>>()).map(({ lived_s: _lived, ...row }) => JSON.stringify(row)).sort()
}

describe('bounded Grafana panels', () => {
  it('count the tasks and active tasks of a range as whole tasks, as task_summary merged does', async () => {
    for (const title of ['Active tasks', 'Tasks']) {
      for (const range of RANGES) {
        for (const tenant of TENANTS) {
          expect(await run(sqlOf('overview', title), range, tenant), `${title} ${range} ${tenant}`).toEqual(await run(REFERENCE[title], range, tenant))
        }
      }
    }
  })

  it('offer the tasks active in the range, most recent first, in the task picker', async () => {
    const picker = dashboard('task').templating.list.find((v) => v.name === 'task_id')!.query
    for (const range of RANGES) {
      for (const tenant of TENANTS) {
        const listed = await run(picker, range, tenant)
        expect(listed, `${range} ${tenant}`).toEqual(await run(REFERENCE.task_id, range, tenant))
      }
    }
    expect(await run(picker, [MIDNIGHT + 19 * HOUR, NOW], 'acme')).toContain(JSON.stringify({ task_id: 'paused' }))
  })

  for (const panel of BOUNDED) {
    it(`${panel.dashboard} · ${panel.title}${panel.refId ? `/${panel.refId}` : ''} answers as it did reading everything`, async () => {
      const bounded = sqlOf(panel.dashboard, panel.title, panel.refId)
      let unbounded = bounded
      for (const bound of panel.bounds) {
        expect(unbounded).toContain(bound)
        unbounded = unbounded.split(bound).join('')
      }
      let rows = 0
      // The drill-down does not read the dashboard's range: one range is every range.
      for (const range of bounded.includes('$__') ? RANGES : RANGES.slice(0, 1)) {
        for (const tenant of TENANTS) {
          for (const task of bounded.includes('${task_id}') ? TASKS : ['-']) {
            const answer = await run(bounded, range, tenant, task)
            expect(answer, `${range} ${tenant} ${task}`).toEqual(await run(unbounded, range, tenant, task))
            rows += answer.length
          }
        }
      }
      expect(rows).toBeGreaterThan(0)
    })
  }
})
