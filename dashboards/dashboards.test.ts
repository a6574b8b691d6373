/**
 * The Grafana dashboards: valid structure against the provisioned datasource, and every panel's
 * SQL (macros expanded as the ClickHouse plugin does) run on a store seeded by the demo fleet
 * through the real ingest, writer, detector and migrations, returning the columns the panel shows.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSeededFleet, type SeededFleet } from '../testkit/fleet.js'
import { expandMacros, interpolateVariables, renderPanelSql, type MacroContext } from './macros.js'

interface Target { refId: string; datasource: { type: string; uid: string }; rawSql: string; format: number; editorType: string; queryType: string }
interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource: Target['datasource']; targets: Target[] }
interface Variable { name: string; type: string; query: string; datasource?: Target['datasource']; allValue?: string }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const DIR = join(import.meta.dirname, 'json')
const dashboards = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((file) => ({ file, json: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard }))
const datasource = (parse(readFileSync(join(import.meta.dirname, 'provisioning/datasources/clickhouse.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string; jsonData: Record<string, unknown> }> }).datasources[0]
const provider = (parse(readFileSync(join(import.meta.dirname, 'provisioning/dashboards/privpath.yaml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> }).providers[0]

/** Columns each panel must return, by dashboard uid and panel title (and refId beyond A). */
const EXPECTED: Record<string, Record<string, string[]>> = {
  'privpath-overview': {
    'Active tasks': ['active_tasks'],
    Tasks: ['tasks'],
    'Critical and high alerts': ['alerts'],
    'Alerts by severity': ['severity', 'alerts'],
    'Cross-tenant tool calls': ['cross_tenant_calls'],
    'Events by kind': ['time', 'kind', 'events'],
    'Alerts by rule': ['rule_id', 'severity', 'alerts', 'tasks', 'last_hit'],
    'Cross-tenant edges': ['from_tenant', 'to_tenant', 'via', 'tasks', 'steps', 'last_seen'],
    'Top tools': ['tool', 'calls', 'tasks'],
    'Top agents': ['agent', 'tasks', 'events'],
    'Credentials by TTL': ['ttl_bucket', 'credentials'],
  },
  'privpath-task': {
    Task: ['tenant_id', 'task_id', 'started', 'ended', 'last_seen', 'agents', 'tools', 'target_tenants', 'credentials', 'has_error'],
    Alerts: ['severity', 'rule_id', 'summary', 'path', 'count', 'first_seen', 'last_seen', 'frameworks', 'runbook'],
    'Privilege path': ['source', 'relation', 'target', 'cross_tenant', 'alerting', 'steps', 'first_seen'],
    'Privilege path graph': ['id', 'title', 'subtitle'],
    'Privilege path graph/B': ['id', 'source', 'target', 'mainstat', 'color'],
    Timeline: ['time', 'kind', 'agent', 'name', 'tool', 'target_resource', 'target_tenant', 'credential_id', 'authz', 'approval', 'status', 'cross_tenant', 'alerting', 'flags'],
  },
  'privpath-credentials': {
    'Credential lifecycle events': ['time', 'step', 'events'],
    Lifecycle: ['credential_id', 'tenant_ids', 'type', 'issuer', 'subject', 'issuing_task', 'issued_at', 'expires_at', 'revoked_at', 'last_used_at', 'uses', 'used_tasks', 'state'],
    'Reused across tasks': ['credential_id', 'issuing_task', 'used_tasks', 'tenants', 'uses', 'last_used_at'],
    'Longest-lived': ['credential_id', 'tenant_ids', 'issued_at', 'revoked_at', 'expires_at', 'lived_s', 'ttl_s'],
  },
  'privpath-rules': {
    'Alerts by rule': ['time', 'rule_id', 'alerts'],
    'Framework coverage': ['framework', 'control', 'active_rules', 'rules', 'alerts'],
    'Loaded rules': ['rule_id', 'title', 'severity', 'status', 'frameworks', 'alerts', 'tasks', 'last_hit'],
  },
}

describe('macro expansion (grafana-clickhouse-datasource definitions)', () => {
  const ctx: MacroContext = { from: 1_700_000_000_500, to: 1_700_003_600_900, intervalMs: 30_000, variables: { database: 'privpath', tenant: 'acme' } }
  it('expands the time macros as the plugin does', () => {
    expect(expandMacros('WHERE $__timeFilter(ts)', ctx)).toBe('WHERE ts >= toDateTime(1700000000) AND ts <= toDateTime(1700003600)')
    expect(expandMacros('$__timeFilter_ms(ts)', ctx)).toBe('ts >= fromUnixTimestamp64Milli(1700000000500) AND ts <= fromUnixTimestamp64Milli(1700003600900)')
    expect(expandMacros('$__timeInterval(toDateTime(ts))', ctx)).toBe('toStartOfInterval(toDateTime(toDateTime(ts)), INTERVAL 30 second)')
    expect(expandMacros('$__fromTime, $__toTime, $__interval_s', ctx)).toBe('toDateTime(1700000000), toDateTime(1700003600), 30')
    expect(expandMacros('$__interval_s', { ...ctx, intervalMs: 200 })).toBe('1')
    expect(expandMacros('$__dateFilter(d)', ctx)).toBe("d >= toDate('2023-11-14') AND d <= toDate('2023-11-14')")
  })
  it('interpolates ${var} and $var and refuses unknown names', () => {
    expect(interpolateVariables("FROM ${database}.events WHERE tenant_id = '$tenant'", ctx.variables)).toBe("FROM privpath.events WHERE tenant_id = 'acme'")
    expect(() => interpolateVariables('$nope', ctx.variables)).toThrow(/undefined template variable \$nope/)
    expect(() => expandMacros('$__timeFiltr(ts)', ctx)).toThrow(/unknown macro/)
    expect(() => expandMacros('$__timeFilter()', ctx)).toThrow(/expected 1 argument/)
  })
})

describe('dashboard structure', () => {
  it('provisions the datasource the panels reference, and a file provider', () => {
    expect(datasource.type).toBe('grafana-clickhouse-datasource')
    expect(datasource.jsonData.host).toBe('clickhouse')
    expect(provider.type).toBe('file')
    expect(provider.options.path).toMatch(/^\//)
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  for (const { file, json } of dashboards) {
    it(`${file}: ids, grid positions, datasource references, variables`, () => {
      const ids = json.panels.map((p) => p.id)
      expect(new Set(ids).size).toBe(ids.length)
      const defined = new Set(json.templating.list.map((v) => v.name))
      for (const panel of json.panels) {
        expect(Number.isInteger(panel.id) && panel.id > 0, `${panel.title}: id`).toBe(true)
        const { x, y, w, h } = panel.gridPos
        expect([x, y, w, h].every(Number.isInteger) && w > 0 && h > 0 && x >= 0 && x + w <= 24, `${panel.title}: gridPos`).toBe(true)
        expect(panel.datasource).toEqual({ type: datasource.type, uid: datasource.uid })
        expect(panel.targets.length).toBeGreaterThan(0)
        for (const target of panel.targets) {
          expect(target.datasource, `${panel.title}/${target.refId}`).toEqual({ type: datasource.type, uid: datasource.uid })
          expect(target.editorType).toBe('sql')
          expect(target.format).toBe(panel.type === 'timeseries' ? 0 : 1)
          expect(target.queryType).toBe(panel.type === 'timeseries' ? 'timeseries' : 'table')
          for (const [, braced, bare] of target.rawSql.matchAll(/\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z][A-Za-z0-9_]*)/g)) {
            expect(defined.has(braced ?? bare), `${panel.title}: variable ${braced ?? bare} is defined`).toBe(true)
          }
        }
      }
      for (const variable of json.templating.list.filter((v) => v.type === 'query')) {
        expect(variable.datasource).toEqual({ type: datasource.type, uid: datasource.uid })
      }
      // Panels do not overlap: Grafana would push them around, and the layout is deliberate.
      const cells = new Set<string>()
      for (const panel of json.panels) {
        for (let cx = panel.gridPos.x; cx < panel.gridPos.x + panel.gridPos.w; cx++) {
          for (let cy = panel.gridPos.y; cy < panel.gridPos.y + panel.gridPos.h; cy++) {
            expect(cells.has(`${cx},${cy}`), `${panel.title} overlaps at ${cx},${cy}`).toBe(false)
            cells.add(`${cx},${cy}`)
          }
        }
      }
      expect(json.panels.map((p) => p.title).sort()).toEqual(Object.keys(EXPECTED[json.uid]).filter((t) => !t.includes('/')).sort())
    })
  }
})

describe('every panel query on seeded data', () => {
  let fleet: SeededFleet
  beforeAll(async () => {
    fleet = await startSeededFleet({ runId: 'dash' })
  }, 180_000)
  afterAll(async () => fleet?.stop())

  const run = async (sql: string, variables: Record<string, string>): Promise<Array<Record<string, unknown>>> => {
    const now = Date.now()
    const text = renderPanelSql(sql, { from: now - 2 * 3_600_000, to: now + 600_000, intervalMs: 60_000, variables: { database: 'privpath', ...variables } })
    const client = fleet.app.store?.client
    if (!client) throw new Error('the app has no store client')
    const result = await client.query({ query: text, format: 'JSONEachRow' })
    return result.json<Record<string, unknown>>()
  }

  it('variables resolve to the seeded tenants and tasks', async () => {
    const vars = Object.fromEntries(dashboards.flatMap((d) => d.json.templating.list).map((v) => [v.name, v]))
    const tenants = await run(vars.tenant.query, { tenant: '*' })
    expect(tenants.map((r) => r.tenant_id)).toEqual(['acme', 'globex', 'initech'])
    const tasks = await run(vars.task_id.query, { tenant: '*' })
    expect(tasks.map((r) => r.task_id)).toContain(fleet.id('cross-tenant'))
    const acmeOnly = await run(vars.task_id.query, { tenant: 'initech' })
    expect(acmeOnly.length).toBeLessThan(tasks.length)
  })

  for (const { file, json } of dashboards) {
    for (const panel of json.panels) {
      for (const target of panel.targets) {
        const key = target.refId === 'A' ? panel.title : `${panel.title}/${target.refId}`
        it(`${file} · ${key}`, async () => {
          const variables = { tenant: '*', task_id: fleet.id('cross-tenant') }
          const rows = await run(target.rawSql, variables)
          expect(rows.length, 'rows').toBeGreaterThan(0)
          expect(Object.keys(rows[0])).toEqual(EXPECTED[json.uid][key])
          if (target.format === 0) {
            const times = rows.map((r) => Date.parse(`${String(r.time).replace(' ', 'T')}Z`))
            expect(times.every(Number.isFinite)).toBe(true)
            expect([...times].sort((a, b) => a - b)).toEqual(times)
          }
        })
      }
    }
  }

  it('the drill-down of the cross-tenant task shows its red edge, alerting steps and alert', async () => {
    const task = dashboards.find((d) => d.json.uid === 'privpath-task')!.json
    const sql = (title: string) => task.panels.find((p) => p.title === title)!.targets[0].rawSql
    const variables = { tenant: '*', task_id: fleet.id('cross-tenant') }
    const edges = await run(sql('Privilege path'), variables)
    const crossing = edges.filter((e) => Number(e.cross_tenant) === 1)
    expect(crossing.map((e) => `${e.relation} ${e.target}`)).toContain('targets tenant globex')
    expect(crossing.every((e) => Number(e.alerting) === 1)).toBe(true)
    const alerts = await run(sql('Alerts'), variables)
    expect(alerts.map((a) => a.rule_id)).toContain('cross-tenant-tool-routing')
    const timeline = await run(sql('Timeline'), variables)
    expect(timeline.map((e) => e.kind)).toContain('task_start')
    expect(timeline.map((e) => String(e.time))).toEqual(timeline.map((e) => String(e.time)).sort())
    expect(timeline.some((e) => Number(e.alerting) === 1 && e.kind === 'tool_invocation')).toBe(true)
    // Scoped to another tenant, the task is not there.
    expect(await run(sql('Timeline'), { ...variables, tenant: 'initech' })).toEqual([])
  })

  it('framework coverage comes from the loaded rules and counts their hits', async () => {
    const rules = dashboards.find((d) => d.json.uid === 'privpath-rules')!.json
    const coverage = await run(rules.panels.find((p) => p.title === 'Framework coverage')!.targets[0].rawSql, { tenant: '*' })
    const row = coverage.find((r) => r.framework === 'owasp_agentic' && r.control === 'ASI03')
    expect(row).toBeDefined()
    expect(String(row!.rules)).toContain('cross-tenant-tool-routing')
    expect(Number(row!.alerts)).toBeGreaterThan(0)
    expect(new Set(coverage.map((r) => r.framework))).toEqual(new Set(['owasp_agentic', 'maestro', 'owasp_nhi', 'mitre_atlas']))
  })
})
