/**
 * OPA's decision log end to end: an agent's trace (with OPA's own span under the tool call, as
 * when OPA exports its spans too) goes to /v1/traces; minutes later OPA uploads its decisions,
 * as its decision log plugin does (a gzip JSON array, bearer token = the tenant key), to
 * /v1/opa/logs. The decisions join the tool calls they gate; a deny that arrives after the call
 * was judged raises action-after-deny; a malformed upload is refused whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../core/alert.js'
import type { PrivpathEvent } from '../core/event.js'
import { getJson, startTestApp, type TestApp } from '../testkit/app.js'
import { opaDecision, opaHeaders, opaTimestamp, opaUpload } from '../testkit/opa.js'
import { waitFor } from '../testkit/wait.js'

const KEY = 'acme-key'
const CALL_AT = Date.now() - 5 * 60_000
/** Two agent tasks, each a trace: agent span → tool span db.drop_table → OPA's span. */
const TASKS = { allowed: '11'.repeat(16), denied: '22'.repeat(16) }
const span = (trace: string, n: number): string => `${trace.slice(0, 2)}${String(n).padStart(14, '0')}`

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ roles: ['collector', 'writer', 'detector', 'api'], auth: { tenant_keys: [`acme:${KEY}`] } })
  const resourceSpans = Object.values(TASKS).flatMap((trace) => agentTrace(trace))
  // traffic of the same key now, in another task: the domain's time passes the calls' hold
  resourceSpans.push(resource('agent', [otlpSpan('33'.repeat(16), span('33'.repeat(16), 1), '', 'chat', Date.now(), [attr('gen_ai.operation.name', 'chat')])]))
  const res = await post('/v1/traces', JSON.stringify({ resourceSpans }), { 'content-type': 'application/json' })
  expect(res.status).toBe(200)
  for (const trace of Object.values(TASKS)) {
    const stored = async () => {
      const res = await getJson<{ events: PrivpathEvent[] }>(`${t.app.url}/api/tasks/${trace}`, KEY)
      return res.status === 200 && res.body.events.some((e) => e.kind === 'tool_invocation') && res.body.events.some((e) => e.span_id === span(trace, 3))
    }
    await waitFor(stored, 15_000, `the spans of ${trace} stored`, 100)
  }
  // both calls were judged (without any decision) before OPA reports
  await waitFor(async () => (await judgedSteps()) === 2, 15_000, 'both calls judged', 100)
})
afterAll(async () => {
  await t?.app.stop()
})

function attr(key: string, value: string) {
  return { key, value: { stringValue: value } }
}

function otlpSpan(trace: string, id: string, parent: string, name: string, at: number, attributes: unknown[]) {
  const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString()
  return { traceId: trace, spanId: id, parentSpanId: parent, name, kind: 1, startTimeUnixNano: nanos(at), endTimeUnixNano: nanos(at + 20), attributes }
}

function resource(service: string, spans: unknown[]) {
  return { resource: { attributes: [attr('service.name', service)] }, scopeSpans: [{ scope: { name: service }, spans }] }
}

function agentTrace(trace: string) {
  return [
    resource('billing-agent', [
      otlpSpan(trace, span(trace, 1), '', 'invoke_agent planner', CALL_AT - 100, [attr('gen_ai.operation.name', 'invoke_agent'), attr('gen_ai.agent.id', 'planner')]),
      otlpSpan(trace, span(trace, 2), span(trace, 1), 'execute_tool db.drop_table', CALL_AT, [attr('gen_ai.operation.name', 'execute_tool'), attr('gen_ai.tool.name', 'db.drop_table')]),
    ]),
    // OPA's server span, a child of the call that asked it (OPA's distributed_tracing exporting here too)
    resource('opa', [otlpSpan(trace, span(trace, 3), span(trace, 2), 'v1/data/agents/tools/allow', CALL_AT + 2, [])]),
  ]
}

function post(path: string, body: Buffer | string, headers: Record<string, string>, key = KEY): Promise<Response> {
  return fetch(`${t.app.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body })
}

async function eventsOf(task: string, ready: (events: PrivpathEvent[]) => boolean): Promise<PrivpathEvent[]> {
  let events: PrivpathEvent[] = []
  await expect
    .poll(async () => {
      const res = await getJson<{ events: PrivpathEvent[] }>(`${t.app.url}/api/tasks/${task}`, KEY)
      events = res.status === 200 ? res.body.events : []
      return ready(events)
    }, { timeout: 15_000, interval: 100 })
    .toBe(true)
  return events
}

async function judgedSteps(): Promise<number> {
  const text = await (await fetch(`${t.app.url}/metrics`)).text()
  return Number(/^privpath_detector_judged_steps (\d+)$/m.exec(text)?.[1] ?? 0)
}

const decisionsOf = (events: PrivpathEvent[]) => events.filter((e) => e.kind === 'authz_decision')

describe('OPA decision logs', () => {
  it('turns a real upload (gzip array) into decisions in the task, joined to the tool call they gate', async () => {
    const trace = TASKS.allowed
    const res = await post('/v1/opa/logs', opaUpload([
      opaDecision({ decision_id: 'allow-1', trace_id: trace, span_id: span(trace, 3), result: { allow: true, reasons: [] }, timestamp: opaTimestamp(CALL_AT + 3) }),
      opaDecision({ decision_id: 'untraced-1', trace_id: undefined, span_id: undefined, path: 'system/health', result: true, timestamp: opaTimestamp(CALL_AT) }),
    ]), opaHeaders())
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 2 })

    const [decision] = decisionsOf(await eventsOf(trace, (events) => decisionsOf(events).length === 1))
    expect(decision).toMatchObject({
      tenant_id: 'acme',
      domain: 'acme',
      task_id: trace,
      trace_id: trace,
      span_id: span(trace, 3),
      parent_span_id: span(trace, 2),
      agent_id: 'planner',
      source: 'opa',
      ts: CALL_AT,
      authz_result: 'allow',
      authz_engine: 'opa',
      authz_policy: 'agents/tools/allow',
      authz_action: 'db.drop_table',
      authz_resource: 'orders',
    })
    expect(decision.attributes).toMatchObject({ 'opa.decision_id': 'allow-1', 'opa.join': 'tool_call', 'opa.timestamp': opaTimestamp(CALL_AT + 3) })
    const [untraced] = decisionsOf(await eventsOf('untraced', (events) => decisionsOf(events).length === 1))
    expect(untraced).toMatchObject({ authz_result: 'allow', authz_policy: 'system/health', trace_id: '' })
    expect((await getJson<{ alerts: Alert[] }>(`${t.app.url}/api/alerts?task=${trace}`, KEY)).body.alerts).toEqual([])
  })

  it('raises action-after-deny when a deny of a call that ran anyway arrives 5 minutes after it', async () => {
    const trace = TASKS.denied
    const res = await post('/v1/opa/logs', opaUpload([
      opaDecision({ decision_id: 'deny-1', trace_id: trace, span_id: span(trace, 3), result: false, timestamp: opaTimestamp(CALL_AT + 3) }),
    ]), opaHeaders())
    expect(res.status).toBe(200)
    let alerts: Alert[] = []
    await expect
      .poll(async () => (alerts = (await getJson<{ alerts: Alert[] }>(`${t.app.url}/api/alerts?task=${trace}`, KEY)).body.alerts).map((a) => a.rule_id), {
        timeout: 15_000,
        interval: 100,
      })
      .toEqual(['action-after-deny'])
    const [decision] = decisionsOf(await eventsOf(trace, (events) => decisionsOf(events).length === 1))
    const call = (await eventsOf(trace, () => true)).find((e) => e.kind === 'tool_invocation')!
    expect(alerts[0]).toMatchObject({
      severity: 'critical',
      agent_id: 'planner',
      event_ids: [call.event_id, decision.event_id],
      summary: `tool db.drop_table ran in task ${trace} (agent planner) after the action db.drop_table was denied by policy agents/tools/allow`,
    })
    expect(alerts[0].path).toContain('deny by policy agents/tools/allow arrived after the call was judged (decision deny-1)')
  })

  it('refuses a malformed upload with 400 naming the field, and keeps none of it', async () => {
    const trace = TASKS.allowed
    const good = (id: string) => opaDecision({ decision_id: id, trace_id: trace, span_id: span(trace, 3), timestamp: opaTimestamp(CALL_AT + 5) })
    const refused = async (body: Buffer | string, headers: Record<string, string>, key?: string) => {
      const res = await post('/v1/opa/logs', body, headers, key)
      return { status: res.status, body: (await res.json()) as { code: string; message: string } }
    }
    expect(await refused(opaUpload([good('kept-not-1'), { ...good('kept-not-2'), timestamp: 'yesterday' }]), opaHeaders())).toEqual({
      status: 400,
      body: { code: 'PP_ERR_DECODE', message: 'OPA decision log: [1].timestamp: expected an RFC 3339 time with a zone, got "yesterday"' },
    })
    expect(await refused(opaUpload([{ ...good('kept-not-3'), trace_id: 'zz' }]), opaHeaders())).toMatchObject({ status: 400, body: { message: 'OPA decision log: [0].trace_id: expected 32 hex digits, got "zz"' } })
    expect(await refused(opaUpload([]).subarray(0, 5), opaHeaders())).toMatchObject({ status: 400, body: { code: 'PP_ERR_BAD_ENCODING' } })
    expect(await refused(JSON.stringify([good('kept-not-4')]), { 'content-type': 'text/plain' })).toMatchObject({ status: 415, body: { code: 'PP_ERR_UNSUPPORTED_MEDIA_TYPE' } })
    expect(await refused(opaUpload([good('kept-not-5')]), opaHeaders(), 'wrong-key')).toMatchObject({ status: 401, body: { code: 'PP_ERR_UNAUTHORIZED' } })

    // an upload accepted after them is stored; none of theirs is
    expect((await post('/v1/opa/logs', opaUpload([good('kept-1')]), opaHeaders())).status).toBe(200)
    const events = await eventsOf(trace, (all) => all.some((e) => e.attributes['opa.decision_id'] === 'kept-1'))
    expect(decisionsOf(events).map((e) => e.attributes['opa.decision_id']).sort()).toEqual(['allow-1', 'kept-1'])
  })
})
