/**
 * The decision endpoint against a running privpath (collector + detector, real OTLP): AuthZEN
 * conformance, the freshness wait, tenant scoping, shadow vs enforce, and the decision recorded
 * in the task (the detector counts privpath's deny as the step's decision).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../../core/alert.js'
import type { PrivpathEvent } from '../../core/event.js'
import { postOtlp, startTestApp, type TestApp } from '../../testkit/app.js'
import { evaluation, injectedInboxTask, otlpJson, postJson } from '../../testkit/decision.js'
import { waitFor } from '../../testkit/wait.js'

const KEYS = ['acme:acme-key', 'globex:globex-key']
const ACME = { authorization: 'Bearer acme-key' }
const GLOBEX = { authorization: 'Bearer globex-key' }
const T0 = Date.now() - 60_000

let t: TestApp
let shadow: TestApp
const alerts: Alert[] = []
const decisions: PrivpathEvent[] = []

async function sendSpans(app: TestApp, body: string, headers: Record<string, string> = ACME): Promise<void> {
  const res = await postOtlp(`${app.app.url}/v1/traces`, body, { 'content-type': 'application/json', ...headers })
  expect(res.status).toBe(200)
}

beforeAll(async () => {
  t = await startTestApp({ roles: ['collector', 'detector'], auth: { tenant_keys: KEYS }, decision: { wait_ms: 5_000 } })
  shadow = await startTestApp({ roles: ['collector', 'detector'], decision: { mode: 'shadow', wait_ms: 50, on_stale: 'allow' } })
  await t.app.bus.subscribe('alerts', { group: 'decision-test', fromBeginning: true }, async (batch) => {
    alerts.push(...batch.map((m) => m.value))
  })
  await t.app.bus.subscribe('events', { group: 'decision-events', fromBeginning: true }, async (batch) => {
    decisions.push(...batch.map((m) => m.value).filter((e) => e.authz_engine === 'privpath'))
  })
})
afterAll(async () => {
  await t?.app.stop()
  await shadow?.app.stop()
})

describe('AuthZEN conformance', () => {
  it('answers a benign call allow, in the spec shape, echoing X-Request-ID', async () => {
    const res = await postJson(`${t.app.url}/access/v1/evaluation`, evaluation({ tool: 'search_docs', taskId: 'benign-1', arguments: { q: 'holiday policy' } }), { ...ACME, 'x-request-id': 'req-42' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('req-42')
    expect(res.body).toMatchObject({ decision: true, context: { mode: 'enforce', reason_admin: { verdict: 'allow', rules: [], policies: [], stale: false }, reason_user: { en: 'search_docs is allowed.' } } })
    expect(res.body.context.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('refuses a request without a subject with 400 naming the field, and a wrong key with 401', async () => {
    const { subject: _omitted, ...body } = evaluation({ tool: 'x', taskId: 't' })
    const bad = await postJson(`${t.app.url}/access/v1/evaluation`, body, ACME)
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('PP_ERR_BAD_REQUEST')
    expect(bad.body.message).toContain('subject')
    const noName = await postJson(`${t.app.url}/access/v1/evaluation`, { ...evaluation({ tool: 'x', taskId: 't' }), action: {} }, ACME)
    expect(noName.status).toBe(400)
    expect(noName.body.message).toContain('body/action')
    expect(noName.body.message).toContain('name')
    const unauthorised = await postJson(`${t.app.url}/access/v1/evaluation`, evaluation({ tool: 'x', taskId: 't' }), { authorization: 'Bearer nope' })
    expect(unauthorised.status).toBe(401)
  })

  it('answers a batch in order with request-level defaults, item errors, and the short-circuit semantics', async () => {
    const defaults = evaluation({ tool: 'search_docs', taskId: 'batch-1' })
    const body = {
      subject: defaults.subject,
      context: defaults.context,
      evaluations: [
        { action: { name: 'search_docs' }, resource: defaults.resource },
        { action: { name: 'crm.update' }, resource: { type: 'tool', id: 'crm.update', properties: { target_tenant: 'globex' } } },
        { action: { name: 'search_docs' } },
      ],
    }
    const all = await postJson(`${t.app.url}/access/v1/evaluations`, body, ACME)
    expect(all.status).toBe(200)
    expect(all.body.evaluations.map((e: { decision: boolean }) => e.decision)).toEqual([true, false, false])
    expect(all.body.evaluations[1].context.reason_admin.rules.map((r: { id: string }) => r.id)).toEqual(['cross-tenant-tool-routing'])
    expect(all.body.evaluations[2].context.error).toEqual({ status: 400, message: 'evaluations/2/resource: required (no request-level default)' })

    const firstDeny = await postJson(`${t.app.url}/access/v1/evaluations`, { ...body, options: { evaluations_semantic: 'deny_on_first_deny' } }, ACME)
    expect(firstDeny.body.evaluations).toHaveLength(2)
    const firstPermit = await postJson(`${t.app.url}/access/v1/evaluations`, { ...body, options: { evaluations_semantic: 'permit_on_first_permit' } }, ACME)
    expect(firstPermit.body.evaluations).toHaveLength(1)

    const single = await postJson(`${t.app.url}/access/v1/evaluations`, { ...defaults, action: { name: 'search_docs' } }, ACME)
    expect(single.body).toMatchObject({ decision: true })
    const tooMany = await postJson(`${t.app.url}/access/v1/evaluations`, { ...body, evaluations: Array.from({ length: 65 }, () => body.evaluations[0]) }, ACME)
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.message).toContain('decision.max_evaluations')
  })

  it('publishes its discovery document without a key', async () => {
    const res = await fetch(`${t.app.url}/.well-known/authzen-configuration`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      policy_decision_point: t.app.url,
      access_evaluation_endpoint: `${t.app.url}/access/v1/evaluation`,
      access_evaluations_endpoint: `${t.app.url}/access/v1/evaluations`,
    })
  })
})

describe('a call steered by injected content', () => {
  const trace = 'c0000000000000000000000000000001'

  it('waits for the span it names, then denies with the rule and the path of the value', async () => {
    // ask first: the chat span that proposed the payment has not been sent yet
    const asking = postJson(
      `${t.app.url}/access/v1/evaluation`,
      evaluation({ tool: 'send_money', taskId: 'inbox-1', traceId: trace, afterSpanId: 'b000000000000003', arguments: { recipient: 'GB33BUKB20201555555555', amount: 1000 } }),
      ACME,
    )
    await sendSpans(t, otlpJson(trace, injectedInboxTask('inbox-1', T0)))
    const res = await asking
    expect(res.status).toBe(200)
    expect(res.body.decision).toBe(false)
    expect(res.body.context.reason_admin.stale).toBe(false)
    const rule = res.body.context.reason_admin.rules[0]
    expect(rule).toMatchObject({ id: 'tool-call-steered-by-injection', enforce: 'deny', mode: 'enforce' })
    expect(rule.summary).toContain('GB33BUKB20201555555555')
    expect(rule.summary).toContain('read_inbox')
    expect(res.body.context.reason_user.en).toBe('send_money was denied: Tool call steered by injected content.')
  })

  it('finds the task from the span alone, as a gateway that does not know privpath task ids asks', async () => {
    const ask = evaluation({ tool: 'send_money', taskId: '', afterSpanId: 'b000000000000003', arguments: { recipient: 'GB33BUKB20201555555555' } })
    const res = await postJson(`${t.app.url}/access/v1/evaluation`, { ...ask, context: { after_span_id: 'b000000000000003' } }, ACME)
    expect(res.body.decision).toBe(false)
    expect(res.body.context.reason_admin.rules[0].summary).toContain('inbox-1')
  })

  it('allows paying the bill the user pointed at in the same task', async () => {
    const res = await postJson(
      `${t.app.url}/access/v1/evaluation`,
      evaluation({ tool: 'send_money', taskId: 'inbox-1', traceId: trace, afterSpanId: 'b000000000000003', arguments: { recipient: 'DE89370400440532013000', amount: 84.2 } }),
      ACME,
    )
    expect(res.body.decision).toBe(true)
  })

  it('records each decision in the task, and the rule that denied a call fires when it runs anyway', async () => {
    await waitFor(() => decisions.some((d) => d.task_id === 'inbox-1' && d.authz_result === 'deny'))
    const deny = decisions.find((d) => d.task_id === 'inbox-1' && d.authz_result === 'deny')!
    expect(deny).toMatchObject({ kind: 'authz_decision', authz_engine: 'privpath', authz_action: 'send_money', trace_id: trace, parent_span_id: 'b000000000000003', domain: 'acme', tenant_id: 'acme' })
    expect(deny.attributes['privpath.decision.id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(deny.attributes['privpath.decision.verdict']).toBe('deny')
    expect(deny.authz_policy).toBe('tool-call-steered-by-injection')
    expect(decisions.some((d) => d.task_id === 'inbox-1' && d.authz_result === 'allow')).toBe(true)
    // the agent runs the denied payment anyway: the rule that denied it fires on the executed call
    await sendSpans(t, otlpJson(trace, [{ spanId: 'b000000000000004', name: 'execute_tool send_money', atMs: T0 + 30, attributes: { 'agent.task.id': 'inbox-1', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'send_money', 'gen_ai.tool.call.arguments': '{"recipient":"GB33BUKB20201555555555"}' } }]))
    await waitFor(() => alerts.some((a) => a.rule_id === 'tool-call-steered-by-injection' && a.task_id === 'inbox-1'))
  })
})

describe('freshness', () => {
  it('answers per on_stale when the named span is not processed in time (deny by default, allow when set)', async () => {
    const denyApp = await startTestApp({ roles: ['collector', 'detector'], decision: { wait_ms: 30 } })
    try {
      const res = await postJson(`${denyApp.app.url}/access/v1/evaluation`, evaluation({ tool: 'search_docs', taskId: 'never', afterSpanId: 'ffffffffffffffff' }))
      expect(res.body).toMatchObject({ decision: false, context: { reason_admin: { stale: true, verdict: 'deny' } } })
      expect(res.body.context.reason_user.en).toContain('had not been processed in time')
    } finally {
      await denyApp.app.stop()
    }
    const res = await postJson(`${shadow.app.url}/access/v1/evaluation`, evaluation({ tool: 'search_docs', taskId: 'never', afterSpanId: 'ffffffffffffffff' }))
    expect(res.body).toMatchObject({ decision: true, context: { reason_admin: { stale: true, verdict: 'allow' } } })
  })
})

describe('tenant scoping', () => {
  it("judges a call against the caller's own tasks only", async () => {
    const trace = 'c0000000000000000000000000000002'
    await sendSpans(t, otlpJson(trace, injectedInboxTask('shared-task-id', T0)))
    const ask = evaluation({ tool: 'send_money', taskId: 'shared-task-id', afterSpanId: 'b000000000000003', arguments: { recipient: 'GB33BUKB20201555555555' } })
    const acme = await postJson(`${t.app.url}/access/v1/evaluation`, ask, ACME)
    expect(acme.body.decision).toBe(false)
    // globex names acme's task and span: it sees nothing of them (its wait times out: stale)
    const quick = { ...ask, context: { task_id: 'shared-task-id' } }
    const globex = await postJson(`${t.app.url}/access/v1/evaluation`, quick, GLOBEX)
    expect(globex.body).toMatchObject({ decision: true, context: { reason_admin: { rules: [], stale: false } } })
  })
})

describe('shadow mode', () => {
  it('decides and records, but answers allow', async () => {
    const trace = 'c0000000000000000000000000000003'
    await sendSpans(shadow, otlpJson(trace, injectedInboxTask('shadow-1', T0)), {})
    const res = await postJson(
      `${shadow.app.url}/access/v1/evaluation`,
      evaluation({ tool: 'send_money', taskId: 'shadow-1', afterSpanId: 'b000000000000003', arguments: { recipient: 'GB33BUKB20201555555555' } }),
    )
    expect(res.body).toMatchObject({ decision: true, context: { mode: 'shadow', reason_admin: { verdict: 'deny', stale: false } } })
    expect(res.body.context.reason_admin.rules[0]).toMatchObject({ id: 'tool-call-steered-by-injection', mode: 'shadow' })
  })
})
