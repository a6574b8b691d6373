/** Tenant keys end to end: ingest is stamped with the key's tenant, reads are scoped to it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../core/event.js'
import { allSucceeded, otelExporter, protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { getJson, postOtlp, startTestApp, type TestApp } from '../testkit/app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ auth: { tenant_keys: ['acme:key-acme', 'globex:key-globex', '*:key-admin'] } })
})
afterAll(async () => {
  await t?.app.stop()
})

interface TaskDetail {
  task: { task_id: string; tenant_id: string }
  events: PrivpathEvent[]
}

async function waitForTask(id: string, key: string, minEvents = 5): Promise<TaskDetail> {
  let body: TaskDetail | undefined
  await expect
    .poll(async () => {
      const res = await getJson<TaskDetail>(`${t.app.url}/api/tasks/${id}`, key)
      body = res.body
      return res.status === 200 && res.body.events.length >= minEvents
    }, { timeout: 15_000, interval: 100 })
    .toBe(true)
  return body!
}

describe('tenant isolation', () => {
  it('refuses ingest and reads without a valid key', async () => {
    const body = protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId: 'task-anon', tenant: 'acme' })))
    expect((await postOtlp(`${t.app.url}/v1/traces`, body)).status).toBe(401)
    expect((await postOtlp(`${t.app.url}/v1/traces`, body, { 'content-type': 'application/x-protobuf', authorization: 'Bearer nope' })).status).toBe(401)
    expect((await getJson(`${t.app.url}/api/tasks`)).status).toBe(401)
    expect((await getJson(`${t.app.url}/api/tasks`, 'nope')).status).toBe(401)
  })

  it("stamps the key's tenant on a span claiming another tenant and flags tenant_mismatch", async () => {
    const exporting = otelExporter(t.app.url, { format: 'protobuf', key: 'key-acme' })
    runScriptedTask(exporting.tracer, { taskId: 'task-spoof', tenant: 'globex' })
    expect(allSucceeded(await exporting.finish())).toBe(true)
    const task = await waitForTask('task-spoof', 'key-acme')
    expect(task.task.tenant_id).toBe('acme')
    for (const event of task.events) expect(event.tenant_id).toBe('acme')
    expect(task.events.some((e) => e.flags.includes('tenant_mismatch'))).toBe(true)
    // Nothing was stored under the claimed tenant.
    expect((await getJson(`${t.app.url}/api/tasks/task-spoof?tenant=globex`, 'key-admin')).status).toBe(404)
  })

  it("keeps one tenant's tasks out of another's reads; the admin key sees both", async () => {
    const exporting = otelExporter(t.app.url, { format: 'protobuf', key: 'key-globex' })
    runScriptedTask(exporting.tracer, { taskId: 'task-globex', tenant: 'globex' })
    expect(allSucceeded(await exporting.finish())).toBe(true)
    await waitForTask('task-globex', 'key-globex')

    expect((await getJson(`${t.app.url}/api/tasks/task-globex`, 'key-acme')).status).toBe(404)
    const acmeList = await getJson<{ tasks: Array<{ task_id: string; tenant_id: string }> }>(`${t.app.url}/api/tasks`, 'key-acme')
    expect(acmeList.body.tasks.map((x) => x.tenant_id)).not.toContain('globex')
    const acmeAsking = await getJson<{ tasks: unknown[] }>(`${t.app.url}/api/tasks?tenant=globex`, 'key-acme')
    expect(acmeAsking.body.tasks ?? []).toEqual([])
    const credential = await getJson(`${t.app.url}/api/credentials/cred-task-globex`, 'key-acme')
    expect(credential.status).toBe(404)

    const admin = await getJson<{ tasks: Array<{ task_id: string }> }>(`${t.app.url}/api/tasks`, 'key-admin')
    expect(admin.body.tasks.map((x) => x.task_id)).toEqual(expect.arrayContaining(['task-globex', 'task-spoof']))
    expect((await getJson(`${t.app.url}/api/credentials/cred-task-globex`, 'key-globex')).status).toBe(200)
  })
})
