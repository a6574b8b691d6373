/**
 * End to end, in-process: the real OpenTelemetry SDK exports to `privpath` (collector, writer,
 * api on embedded chDB) and the query API returns the correlated privilege path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_CONTEXT, trace } from '@opentelemetry/api'
import type { PrivpathEvent } from '../core/event.js'
import { allSucceeded, otelExporter, protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { getJson, postOtlp, startTestApp, type TestApp } from '../testkit/app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ roles: ['collector', 'writer', 'detector', 'api'], server: { max_body_bytes: 256 * 1024 } })
})
afterAll(async () => {
  await t?.app.stop()
})

interface TaskDetail {
  task: { task_id: string; tenant_id: string }
  events: PrivpathEvent[]
}

const CONTRACT_KINDS = [
  'task_start',
  'credential_used',
  'prompt',
  'reasoning_step',
  'tool_invocation',
  'credential_issued',
  'authz_decision',
  'approval',
  'delegation',
  'credential_revoked',
  'task_end',
]

async function taskWhen(id: string, done: (task: TaskDetail) => boolean): Promise<TaskDetail> {
  let last: TaskDetail | undefined
  await expect
    .poll(
      async () => {
        const res = await getJson<TaskDetail>(`${t.app.url}/api/tasks/${encodeURIComponent(id)}`)
        if (res.status === 200) last = res.body
        return res.status === 200 && done(res.body)
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(true)
  return last!
}

const hasAllKinds = (task: TaskDetail) => CONTRACT_KINDS.every((kind) => task.events.some((e) => e.kind === kind))

function expectOrdered(events: PrivpathEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1], events[i]]
    expect(a.ts < b.ts || (a.ts === b.ts && a.seq <= b.seq), `event ${i} out of order`).toBe(true)
  }
}

describe.each([
  ['protobuf', false],
  ['json', false],
  ['protobuf', true],
] as const)('OTel SDK → privpath over OTLP/HTTP %s (gzip: %s)', (format, gzip) => {
  it('stores the scripted task with every privilege-path event correlated, in order', async () => {
    const taskId = `task-sdk-${format}${gzip ? '-gzip' : ''}`
    const exporting = otelExporter(t.app.url, { format, gzip })
    runScriptedTask(exporting.tracer, { taskId, tenant: 'acme', credentialId: `cred-${format}` })
    expect(allSucceeded(await exporting.finish())).toBe(true)

    const task = await taskWhen(taskId, hasAllKinds)
    expect(task.task).toMatchObject({ task_id: taskId, tenant_id: 'acme' })
    expectOrdered(task.events)
    for (const event of task.events) expect(event).toMatchObject({ task_id: taskId, tenant_id: 'acme' })
    const byKind = (kind: string) => task.events.filter((e) => e.kind === kind)
    expect(byKind('tool_invocation').map((e) => e.tool_name).sort()).toEqual(['query_db', 'revoke_token'])
    expect(byKind('tool_invocation').find((e) => e.tool_name === 'query_db')).toMatchObject({
      target_tenant: 'acme',
      target_resource: 'db://acme/orders',
    })
    expect(byKind('credential_used').map((e) => e.credential_id)).toContain(`cred-${format}`)
    expect(byKind('credential_issued')[0]).toMatchObject({ credential_id: `cred-${format}`, credential_scopes: ['orders:read'] })
    expect(byKind('authz_decision')[0]).toMatchObject({ authz_result: 'allow', authz_policy: 'orders-read' })
    expect(byKind('approval')[0]).toMatchObject({ approval_result: 'granted', approval_approver: 'bob' })
    expect(byKind('delegation')[0]).toMatchObject({ agent_id: 'planner', delegate_agent_id: 'executor' })
    expect(byKind('credential_revoked')[0]).toMatchObject({ credential_id: `cred-${format}` })
    const [start, end] = [byKind('task_start')[0], byKind('task_end')[0]]
    expect(Math.min(...task.events.map((e) => e.ts))).toBe(start.ts)
    expect(Math.max(...task.events.map((e) => e.ts))).toBe(end.ts)
    expect(new Set(task.events.map((e) => e.event_id)).size).toBe(task.events.length)
  })
})

describe('correlation and idempotence', () => {
  it('places children of a root that alone claims tenant.id in the root tenant and task', async () => {
    const exporting = otelExporter(t.app.url, { format: 'protobuf' })
    runScriptedTask(exporting.tracer, { taskId: 'task-root-tenant', tenant: 'acme', tenantOn: 'root' })
    expect(allSucceeded(await exporting.finish())).toBe(true)
    const task = await taskWhen('task-root-tenant', hasAllKinds)
    for (const event of task.events) expect(event).toMatchObject({ task_id: 'task-root-tenant', tenant_id: 'acme' })
  })

  it('places a child whose request arrived before its parent under the parent task', async () => {
    const spans = recordSpans((tracer) => {
      const root = tracer.startSpan('invoke_agent planner', {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'planner', 'agent.task.id': 'task-late-parent', 'tenant.id': 'acme' },
      })
      const tool = tracer.startSpan(
        'execute_tool fetch_url',
        { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fetch_url', 'tenant.id': 'acme' } },
        trace.setSpan(ROOT_CONTEXT, root),
      )
      tool.end()
      root.end()
    })
    const rootSpan = spans.find((s) => s.name.startsWith('invoke_agent'))
    const child = spans.filter((s) => s !== rootSpan)
    expect((await postOtlp(`${t.app.url}/v1/traces`, protobufRequest(child))).status).toBe(200)
    // The child's request is through the pipeline (its span held, waiting for a parent) before the root is sent.
    await t.app.drain()
    expect(await t.telemetry.registry.metrics()).toMatch(/privpath_collector_held_spans 1\n/)
    expect((await postOtlp(`${t.app.url}/v1/traces`, protobufRequest([rootSpan!]))).status).toBe(200)
    const task = await taskWhen('task-late-parent', (task) => task.events.some((e) => e.tool_name === 'fetch_url'))
    expect(task.events.find((e) => e.tool_name === 'fetch_url')).toMatchObject({ task_id: 'task-late-parent', tenant_id: 'acme' })
  })

  it('stores a request sent twice once', async () => {
    const spans = recordSpans((tracer) => runScriptedTask(tracer, { taskId: 'task-twice', tenant: 'acme' }))
    const body = protobufRequest(spans)
    expect((await postOtlp(`${t.app.url}/v1/traces`, body)).status).toBe(200)
    const once = await taskWhen('task-twice', hasAllKinds)
    expect((await postOtlp(`${t.app.url}/v1/traces`, body)).status).toBe(200)
    // drain() resolves once the bus (and so the writer's insert) took the second copy.
    await t.app.drain()
    const again = await getJson<TaskDetail>(`${t.app.url}/api/tasks/task-twice`)
    expect(again.body.events.map((e) => e.event_id)).toEqual(once.events.map((e) => e.event_id))
    const distinct = await t.app.store!.client.query({
      query: "SELECT uniqExact(event_id) AS n FROM privpath.events WHERE task_id = 'task-twice'",
      format: 'JSONEachRow',
    })
    expect((await distinct.json<{ n: number }>())[0].n).toBe(once.events.length)
  })
})

describe('detection end to end', () => {
  it('raises a cross-tenant alert for a tool call routed to another tenant and serves it from /api/alerts', async () => {
    const exporting = otelExporter(t.app.url, { format: 'protobuf' })
    runScriptedTask(exporting.tracer, { taskId: 'task-cross', tenant: 'acme', targetTenant: 'globex' })
    expect(allSucceeded(await exporting.finish())).toBe(true)
    await expect
      .poll(async () => {
        const res = await getJson<{ alerts: Array<{ rule_id: string; task_id: string; tenant_id: string }> }>(`${t.app.url}/api/alerts?task=task-cross`)
        return res.body.alerts.map((a) => `${a.rule_id}/${a.tenant_id}`)
      }, { timeout: 15_000, interval: 200 })
      .toContain('cross-tenant-tool-routing/acme')
    // Alerts are inserted at once, the task's events within the writer's flush interval.
    await expect
      .poll(async () => {
        const tasks = await getJson<{ tasks: Array<{ task_id: string }> }>(`${t.app.url}/api/tasks?has_alerts=true`)
        return tasks.body.tasks.map((x) => x.task_id)
      }, { timeout: 15_000, interval: 200 })
      .toContain('task-cross')
  })
})

describe('redaction end to end', () => {
  const AWS_KEY = 'AKIAZ7QH3KXW4PLM2NVB'
  const GITHUB_TOKEN = 'ghp_' + 'R8fK2mQ9xL4vT7wZ1nB5cJ3hY6pD0sA2eG8u'

  it('never stores a secret seeded in a prompt, in any string column of any table', async () => {
    const exporting = otelExporter(t.app.url, { format: 'protobuf' })
    runScriptedTask(exporting.tracer, {
      taskId: 'task-secrets',
      tenant: 'acme',
      prompt: `deploy with aws_access_key_id=${AWS_KEY} and token ${GITHUB_TOKEN} please`,
    })
    expect(allSucceeded(await exporting.finish())).toBe(true)
    const task = await taskWhen('task-secrets', hasAllKinds)
    const prompt = task.events.find((e) => e.kind === 'prompt')!
    expect(prompt.content).toContain('deploy with')
    expect(prompt.flags).toContain('secret_redacted')

    const columns = await t.app.store!.client.query({
      query: `SELECT table, name FROM system.columns WHERE database = 'privpath'
              AND (type LIKE '%String%' OR type LIKE 'Map%' OR type LIKE 'Array%')`,
      format: 'JSONEachRow',
    })
    const list = await columns.json<{ table: string; name: string }>()
    expect(list.length).toBeGreaterThan(10)
    for (const { table, name } of list) {
      for (const secret of [AWS_KEY, GITHUB_TOKEN]) {
        const found = await t.app.store!.client.query({
          query: `SELECT count() AS n FROM privpath.\`${table}\` WHERE position(toString(\`${name}\`), {secret:String}) > 0`,
          query_params: { secret },
          format: 'JSONEachRow',
        })
        expect((await found.json<{ n: number }>())[0].n, `${secret.slice(0, 4)}… found in ${table}.${name}`).toBe(0)
      }
    }
  })
})

describe('HTTP errors at the real server', () => {
  it('415 for other content types, 413 past server.max_body_bytes, 400 naming the field', async () => {
    const text = await postOtlp(`${t.app.url}/v1/traces`, 'hello', { 'content-type': 'text/plain' })
    expect(text.status).toBe(415)
    const big = await postOtlp(`${t.app.url}/v1/traces`, new Uint8Array(300 * 1024), { 'content-type': 'application/x-protobuf' })
    expect(big.status).toBe(413)
    const bad = await postOtlp(`${t.app.url}/v1/traces`, JSON.stringify({ resourceSpans: [{ scopeSpans: 7 }] }), { 'content-type': 'application/json' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toMatch(/PP_ERR_DECODE.*scopeSpans/)
  })

  it('reports readiness and serves collector metrics', async () => {
    const ready = await getJson(`${t.app.url}/readyz`)
    expect(ready).toEqual({ status: 200, body: { ready: true, checks: { store: true, wal_replayed: true, detector: true } } })
    const metrics = await (await fetch(`${t.app.url}/metrics`)).text()
    expect(metrics).toMatch(/privpath_collector_requests_total\{signal="traces",status="200"\} \d+/)
    expect(metrics).toMatch(/privpath_collector_wal_fsync_seconds_count \d+/)
    expect(metrics).toMatch(/privpath_collector_events_published_total\{topic="events"\} \d+/)
  })
})
