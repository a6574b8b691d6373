/**
 * What a tenant reads does not depend on another tenant's traffic. globex sends exactly the spans
 * acme sent (its task id, trace and span ids, credential id, agent names), then more of its own
 * under the same task and credential ids, and an alert with acme's alert id: acme's answers from
 * the query API are the same before and after, and globex's are globex's alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../core/alert.js'
import type { PrivpathEvent } from '../core/event.js'
import { protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { getJson, postOtlp, startTestApp, type TestApp } from '../testkit/app.js'
import { makeAlert } from '../testkit/delivery.js'

const KEYS = { acme: 'key-acme', globex: 'key-globex', admin: 'key-admin' }
const TASK = 'task-shared'
const CREDENTIAL = 'cred-shared'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ auth: { tenant_keys: [`acme:${KEYS.acme}`, `globex:${KEYS.globex}`, `*:${KEYS.admin}`] } })
})
afterAll(async () => {
  await t?.app.stop()
})

const at = Date.now() - 60_000
/** A request body of one scripted task under the shared ids; each call records new trace and span ids. */
const task = () =>
  protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId: TASK, tenant: 'acme', credentialId: CREDENTIAL, targetTenant: 'initech', at })))

/** Resolves once the request's events are stored: the collector has published them and the writer acknowledged them. */
async function send(body: Uint8Array, key: string): Promise<void> {
  const res = await postOtlp(`${t.app.url}/v1/traces`, body, { 'content-type': 'application/x-protobuf', authorization: `Bearer ${key}` })
  expect(res.status).toBe(200)
  await t.app.drain()
}

/** What the detector would raise for the task; both tenants' alerts get one id, as a detector that does not scope ids by tenant makes. */
const alertOf = (tenant_id: string, count: number): Alert =>
  makeAlert({ rule_id: 'cross-tenant-tool-routing', dedup_key: `${TASK}|initech`, tenant_id, task_id: TASK, agent_id: 'planner', count, updated_at: at + count })

const get = async (path: string, key: string) => {
  const res = await getJson(`${t.app.url}${path}`, key)
  return { status: res.status, body: res.body }
}

/** Everything a key reads about the shared ids, including asking for the other tenant's. */
async function reads(key: string, other: string) {
  return {
    tasks: await get('/api/tasks', key),
    task: await get(`/api/tasks/${TASK}`, key),
    credential: await get(`/api/credentials/${CREDENTIAL}`, key),
    alerts: await get('/api/alerts', key),
    taskAlerts: await get(`/api/alerts?task=${TASK}`, key),
    otherTasks: await get(`/api/tasks?tenant=${other}`, key),
    otherTask: await get(`/api/tasks/${TASK}?tenant=${other}`, key),
    otherAlerts: await get(`/api/alerts?tenant=${other}`, key),
  }
}

describe('reads with two tenant keys and the same ids', () => {
  it("keeps acme's answers unchanged by globex's traffic, and globex's its own", async () => {
    const shared = task()
    await send(shared, KEYS.acme)
    await t.app.bus.publish('alerts', [{ key: 'a', value: alertOf('acme', 1) }])
    const before = await reads(KEYS.acme, 'globex')
    expect(before.task.status).toBe(200)
    const events = (before.task.body as { events: PrivpathEvent[] }).events.length
    expect(events).toBeGreaterThan(0)
    expect(before.credential.body).toMatchObject({ tenants: ['acme'], used_task_count: 1 })
    expect(before.alerts.body.alerts).toHaveLength(1)

    await send(shared, KEYS.globex)
    await send(task(), KEYS.globex)
    await t.app.bus.publish('alerts', [{ key: 'g', value: alertOf('globex', 2) }])

    expect(await reads(KEYS.acme, 'globex')).toEqual(before)

    const globex = await reads(KEYS.globex, 'acme')
    expect(globex.tasks.body.tasks.map((x: { tenant_id: string; task_id: string; event_count: number }) => [x.tenant_id, x.task_id, x.event_count])).toEqual([
      ['globex', TASK, 2 * events],
    ])
    const detail = globex.task.body as { task: { tenant_id: string }; events: PrivpathEvent[] }
    expect(detail.task.tenant_id).toBe('globex')
    expect(detail.events).toHaveLength(2 * events)
    expect(new Set(detail.events.map((e) => e.tenant_id))).toEqual(new Set(['globex']))
    expect(globex.credential.body).toMatchObject({ tenants: ['globex'], used_task_count: 1 })
    expect(globex.credential.body.used_in.map((u: { tenant_id: string }) => u.tenant_id)).toEqual(['globex'])
    expect(globex.alerts.body.alerts.map((a: Alert) => [a.tenant_id, a.count])).toEqual([['globex', 2]])
    expect(globex.otherTasks.body.tasks).toEqual([])
    expect(globex.otherTask.status).toBe(404)
    expect(globex.otherAlerts.body.alerts).toEqual([])

    // The admin key sees both tenants' task and counts each tenant's use of the shared credential id.
    const admin = await get(`/api/credentials/${CREDENTIAL}`, KEYS.admin)
    expect(admin.body).toMatchObject({ tenants: ['acme', 'globex'], used_task_count: 2 })
    const adminTasks = await get('/api/tasks', KEYS.admin)
    expect(adminTasks.body.tasks.map((x: { tenant_id: string }) => x.tenant_id).sort()).toEqual(['acme', 'globex'])
  })
})
