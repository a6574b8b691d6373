import Fastify from 'fastify'
import { Registry, Counter } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../core/alert.js'
import { createAuthenticator } from '../core/auth.js'
import { operationsApi, queryApi, parseTime, type AlertListParams, type ApiQueries, type Scope, type TaskListParams } from './index.js'
import type { CredentialLifecycle, TaskSummary } from './schemas.js'

const summary = (task_id: string, tenant_id: string): TaskSummary => ({
  tenant_id,
  task_id,
  started_at: 1769860800000,
  ended_at: null,
  last_seen: 1769860800000,
  counts: { task_start: 1 },
  event_count: 1,
  agents: [],
  agent_names: [],
  tools: [],
  target_tenants: [],
  credential_ids: [],
  has_error: false,
  alert_count: 0,
})

const credential: CredentialLifecycle = {
  credential_id: 'c1',
  tenant_id: 'acme',
  tenants: ['acme'],
  issuing_task_id: 't-acme',
  credential_type: 'oauth2',
  credential_issuer: 'idp',
  credential_subject: 'svc',
  credential_scopes: [],
  issued_at: null,
  expires_at: null,
  revoked_at: null,
  issued: null,
  revoked: null,
  used_task_count: 0,
  use_count: 0,
  first_used_at: null,
  last_used_at: null,
  used_in: [],
}

const alert: Alert = {
  alert_id: 'a1',
  rule_id: 'cross_tenant',
  rule_title: 'Cross-tenant access',
  severity: 'high',
  category: 'incident',
  tenant_id: 'acme',
  task_id: 't1',
  agent_id: 'planner',
  summary: 'planner read globex',
  path: 'prompt → tool',
  dedup_key: 't1',
  event_ids: [],
  frameworks: [],
  tags: [],
  runbook: '',
  count: 1,
  first_seen: 1769860800000,
  last_seen: 1769860800000,
  window_start: 1769860800000,
  updated_at: 1769860800000,
}

function fakeQueries() {
  const calls: Array<{ name: string; params: unknown; scope: Scope }> = []
  const tasks: Record<string, TaskSummary> = {
    't-acme': summary('t-acme', 'acme'),
    't-globex': summary('t-globex', 'globex'),
  }
  const visible = (tenant: string, scope: Scope) => scope.tenant === '*' || scope.tenant === tenant
  const queries: ApiQueries = {
    async listTasks(params: TaskListParams, scope) {
      calls.push({ name: 'listTasks', params, scope })
      return Object.values(tasks).filter((t) => visible(t.tenant_id, scope))
    },
    async getTask(id, scope) {
      calls.push({ name: 'getTask', params: id, scope })
      const task = tasks[id]
      return task && visible(task.tenant_id, scope) ? { task, events: [], truncated: false } : undefined
    },
    async getCredential(id, scope) {
      calls.push({ name: 'getCredential', params: id, scope })
      return id === 'c1' ? credential : undefined
    },
    async listAlerts(params: AlertListParams, scope) {
      calls.push({ name: 'listAlerts', params, scope })
      return [alert]
    },
  }
  return { queries, calls }
}

async function server(keys: string[] = [], ready = true) {
  const { queries, calls } = fakeQueries()
  const registry = new Registry()
  new Counter({ name: 'privpath_test_total', help: 'x', registers: [registry] }).inc(3)
  const app = Fastify()
  await app.register(operationsApi({ registry, readiness: () => ({ ready, checks: { store: ready, wal: true } }) }))
  await app.register(queryApi({ queries, auth: createAuthenticator({ tenant_keys: keys, tenant_keys_file: '' }) }))
  return { app, calls }
}

describe('query API', () => {
  it('lists tasks with parsed parameters (RFC 3339 and epoch ms) and returns { tasks }', async () => {
    const { app, calls } = await server()
    const res = await app.inject('/api/tasks?since=2026-01-31T12:00:00Z&until=1769864400000&limit=5&has_alerts=true&tenant=acme')
    expect(res.statusCode).toBe(200)
    expect(res.json().tasks).toHaveLength(2)
    expect(calls[0]).toEqual({
      name: 'listTasks',
      params: { tenant: 'acme', since: Date.parse('2026-01-31T12:00:00Z'), until: 1769864400000, limit: 5, has_alerts: true },
      scope: { tenant: '*' },
    })
  })

  it('answers 400 naming the bad parameter', async () => {
    const { app } = await server()
    const bad = await app.inject('/api/tasks?since=yesterday')
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'PP_ERR_BAD_REQUEST', message: expect.stringMatching(/since/) })
    const limit = await app.inject('/api/alerts?limit=0')
    expect(limit.statusCode).toBe(400)
    expect(limit.json().message).toMatch(/limit/)
    const severity = await app.inject('/api/alerts?severity=urgent')
    expect(severity.statusCode).toBe(400)
    expect(severity.json().message).toMatch(/severity/)
    const category = await app.inject('/api/alerts?category=finding')
    expect(category.statusCode).toBe(400)
    expect(category.json().message).toMatch(/category/)
    const unknown = await app.inject('/api/alerts?colour=red')
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json()).toEqual({
      code: 'PP_ERR_BAD_REQUEST',
      message: 'querystring/colour: unknown parameter (expected one of tenant, since, until, rule, task, severity, category, limit)',
    })
  })

  it('refuses unknown parameters whatever Ajv the host server was built with', async () => {
    const { queries, calls } = fakeQueries()
    const app = Fastify({ ajv: { customOptions: { removeAdditional: 'all' } } })
    await app.register(queryApi({ queries, auth: createAuthenticator({ tenant_keys: [], tenant_keys_file: '' }) }))
    const task = await app.inject('/api/tasks/t-acme?tenat=acme')
    expect(task.statusCode).toBe(400)
    expect(task.json().message).toBe('querystring/tenat: unknown parameter (expected one of tenant)')
    expect((await app.inject('/api/tasks?has_alert=true')).json().message).toMatch(/^querystring\/has_alert: unknown parameter/)
    expect(calls).toEqual([])
    expect((await app.inject('/api/tasks?has_alerts=true')).statusCode).toBe(200)
  })

  it('lists alerts as { alerts } with every filter passed on', async () => {
    const { app, calls } = await server()
    const res = await app.inject('/api/alerts?rule=cross_tenant&task=t1&severity=high&category=posture&tenant=acme')
    expect(res.json()).toEqual({ alerts: [alert] })
    expect(calls[0].params).toEqual({ tenant: 'acme', since: undefined, until: undefined, rule: 'cross_tenant', task: 't1', severity: 'high', category: 'posture', limit: 100 })
    await app.inject('/api/alerts')
    expect((calls[1].params as AlertListParams).category).toBeUndefined()
  })

  it('returns one task or credential, 404 otherwise', async () => {
    const { app } = await server()
    expect((await app.inject('/api/tasks/t-acme')).json()).toEqual({ task: summary('t-acme', 'acme'), events: [], truncated: false })
    const missing = await app.inject('/api/tasks/nope')
    expect(missing.statusCode).toBe(404)
    expect(missing.json().code).toBe('PP_ERR_NOT_FOUND')
    expect((await app.inject('/api/credentials/c1')).json()).toEqual(credential)
    expect((await app.inject('/api/credentials/c2')).statusCode).toBe(404)
  })

  it('scopes reads to the key tenant; an admin key reads every tenant; no key is a 401', async () => {
    const { app, calls } = await server(['acme:k1', '*:root'])
    expect((await app.inject('/api/tasks')).statusCode).toBe(401)
    const acme = await app.inject({ url: '/api/tasks', headers: { authorization: 'Bearer k1' } })
    expect(acme.json().tasks).toEqual([summary('t-acme', 'acme')])
    expect(calls.at(-1)!.scope).toEqual({ tenant: 'acme' })
    expect((await app.inject({ url: '/api/tasks/t-globex', headers: { authorization: 'Bearer k1' } })).statusCode).toBe(404)
    const admin = await app.inject({ url: '/api/tasks', headers: { authorization: 'Bearer root' } })
    expect(admin.json().tasks).toHaveLength(2)
  })

  it('serves health, readiness and metrics without a key', async () => {
    const { app } = await server(['acme:k1'], false)
    expect((await app.inject('/healthz')).statusCode).toBe(200)
    const ready = await app.inject('/readyz')
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ ready: false, checks: { store: false, wal: true } })
    const metrics = await app.inject('/metrics')
    expect(metrics.headers['content-type']).toMatch(/text\/plain/)
    expect(metrics.body).toMatch(/privpath_test_total 3/)
  })

  it('parses times strictly', () => {
    expect(parseTime('since', '1700000000000')).toBe(1700000000000)
    expect(parseTime('since', '2026-01-31T12:00:00.250+01:00')).toBe(Date.parse('2026-01-31T11:00:00.250Z'))
    expect(() => parseTime('until', '2026-01-31')).toThrow(/until/)
    expect(parseTime('since', undefined)).toBeUndefined()
  })
})
