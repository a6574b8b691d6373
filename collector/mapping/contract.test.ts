import { describe, expect, it } from 'vitest'
import { EventSchema } from '../../core/event.js'
import Value from 'typebox/value'
import { span, traceRequest, TRACE_ID } from '../../testkit/otlp-builders.js'
import { mapTraceRequest } from './map.js'

const T0 = 1_700_000_000_000

function mapOne(init: Parameters<typeof span>[0], resource = {}, options = {}) {
  const records = mapTraceRequest(traceRequest([span(init)], resource), { observedAt: T0 + 5_000, ...options })
  expect(records).toHaveLength(1)
  return records[0]
}

describe('privpath contract: identity', () => {
  it('reads tenant, task, workload, agent and user; span attributes win over resource ones', () => {
    const record = mapOne(
      {
        spanId: 'a1',
        attributes: { 'tenant.id': 'acme', 'agent.task.id': 'task-1', 'gen_ai.agent.id': 'planner', 'enduser.id': 'u-7' },
      },
      { 'tenant.id': 'other', 'agent.workload.id': 'wl-1', 'gen_ai.agent.name': 'Planner', 'service.name': 'svc' },
    )
    expect(record).toMatchObject({
      signal: 'span',
      tenantId: 'acme',
      explicitTaskId: 'task-1',
      fallbackTaskId: TRACE_ID,
      agentId: 'planner',
      agentName: 'Planner',
    })
    const [event] = record.events
    expect(event).toMatchObject({
      kind: 'other',
      source: 'otel',
      tenant_id: 'acme',
      task_id: '',
      workload_id: 'wl-1',
      user_id: 'u-7',
      agent_id: 'planner',
      ts: T0,
      seq: 0,
      observed_at: T0 + 5_000,
    })
    expect(event.attributes['service.name']).toBe('svc')
    expect(event.attributes).not.toHaveProperty('tenant.id')
  })

  it('accepts baggage.agent.task.id and falls back to the conversation id', () => {
    expect(mapOne({ spanId: 'a1', attributes: { 'baggage.agent.task.id': 't-b' } }).explicitTaskId).toBe('t-b')
    const record = mapOne({ spanId: 'a1', attributes: { 'gen_ai.conversation.id': 'conv-1' } })
    expect(record).toMatchObject({ explicitTaskId: '', fallbackTaskId: 'conv-1' })
  })

  it('every event satisfies the event schema', () => {
    const record = mapOne({
      spanId: 'a1',
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'db.query', 'credential.id': 'cred-1' },
      events: [{ name: 'authz.decision', atMs: T0 + 1, attributes: { 'authz.result': 'allow' } }],
    })
    for (const event of record.events) expect(Value.Check(EventSchema, event)).toBe(true)
  })
})

describe('privpath contract: tool invocation', () => {
  it('maps tool name, call id, arguments and target; credential.id also yields credential_used', () => {
    const record = mapOne({
      spanId: 'b2',
      name: 'execute_tool db.query',
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'db.query',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.call.arguments': { sql: 'select 1' },
        'target.tenant.id': 'globex',
        'server.address': 'db.internal',
        'db.namespace': 'orders',
        'credential.id': 'cred-42',
        'credential.type': 'db_password',
      },
    })
    expect(record.events.map((event) => [event.kind, event.seq])).toEqual([
      ['tool_invocation', 0],
      ['credential_used', 0],
    ])
    expect(record.events[0]).toMatchObject({
      source: 'gen_ai',
      tool_name: 'db.query',
      tool_call_id: 'call_1',
      tool_arguments: '{"sql":"select 1"}',
      target_tenant: 'globex',
      target_resource: 'db.internal',
    })
    expect(record.events[1]).toMatchObject({ source: 'privpath', credential_id: 'cred-42', credential_type: 'db_password', ts: T0 })
    expect(record.events[0].event_id).not.toBe(record.events[1].event_id)
  })

  it('prefers target.resource, then server.address, url.full, db.namespace', () => {
    const tool = { 'gen_ai.operation.name': 'execute_tool' }
    expect(mapOne({ spanId: 'c', attributes: { ...tool, 'url.full': 'https://x/y', 'target.resource': 'r' } }).events[0].target_resource).toBe('r')
    expect(mapOne({ spanId: 'c', attributes: { ...tool, 'url.full': 'https://x/y', 'db.namespace': 'n' } }).events[0].target_resource).toBe('https://x/y')
    expect(mapOne({ spanId: 'c', attributes: { ...tool, 'db.namespace': 'n' } }).events[0].target_resource).toBe('n')
  })
})

describe('privpath contract: span events', () => {
  it('maps credential, authz, approval and task events with seq i+1 and their own time', () => {
    const record = mapOne({
      spanId: 'd4',
      events: [
        { name: 'agent.task.start', atMs: T0 + 1 },
        {
          name: 'credential.issued',
          atMs: T0 + 2.5,
          attributes: {
            'credential.id': 'cred-9',
            'credential.type': 'aws_sts',
            'credential.issuer': 'sts',
            'credential.subject': 'role/reader',
            'credential.scopes': 's3:GetObject, s3:ListBucket',
            'credential.ttl_s': 900,
            'credential.task.id': 'task-x',
          },
        },
        { name: 'authz.decision', atMs: T0 + 3, attributes: { 'authz.result': 'DENY', 'authz.policy': 'p1', 'authz.engine': 'opa', 'authz.action': 'read', 'authz.resource': 'db' } },
        { name: 'approval', atMs: T0 + 4, attributes: { 'approval.result': 'granted', 'approval.approver': 'alice', 'approval.action': 'deploy' } },
        { name: 'credential.used', atMs: T0 + 5, attributes: { 'credential.id': 'cred-9' } },
        { name: 'credential.revoked', atMs: T0 + 6, attributes: { 'credential.id': 'cred-9', 'credential.expires_at': '2023-11-14T22:13:30Z' } },
        { name: 'agent.task.end', atMs: T0 + 7 },
      ],
    })
    expect(record.events.map((event) => [event.kind, event.seq, event.ts])).toEqual([
      ['other', 0, T0],
      ['task_start', 1, T0 + 1],
      ['credential_issued', 2, T0 + 2.5],
      ['authz_decision', 3, T0 + 3],
      ['approval', 4, T0 + 4],
      ['credential_used', 5, T0 + 5],
      ['credential_revoked', 6, T0 + 6],
      ['task_end', 7, T0 + 7],
    ])
    expect(record.events[2]).toMatchObject({
      source: 'privpath',
      name: 'credential.issued',
      credential_id: 'cred-9',
      credential_type: 'aws_sts',
      credential_issuer: 'sts',
      credential_subject: 'role/reader',
      credential_scopes: ['s3:GetObject', 's3:ListBucket'],
      credential_expires_at: T0 + 2.5 + 900_000,
      credential_task_id: 'task-x',
    })
    expect(record.events[3]).toMatchObject({ authz_result: 'deny', authz_policy: 'p1', authz_engine: 'opa', authz_action: 'read', authz_resource: 'db' })
    expect(record.events[4]).toMatchObject({ approval_result: 'granted', approval_approver: 'alice', approval_action: 'deploy' })
    expect(record.events[6].credential_expires_at).toBe(Date.parse('2023-11-14T22:13:30Z'))
  })

  it('keeps an unknown decision word empty and the raw value in attributes', () => {
    const record = mapOne({ spanId: 'e', events: [{ name: 'authz.decision', atMs: T0, attributes: { 'authz.result': 'maybe' } }] })
    expect(record.events[1].authz_result).toBe('')
    expect(record.events[1].attributes['authz.result']).toBe('maybe')
  })

  it('maps a whole span named like a contract event', () => {
    const record = mapOne({ spanId: 'f', name: 'credential.issued', attributes: { 'credential.id': 'c1', 'credential.scopes': ['a', 'b'] } })
    expect(record.events[0]).toMatchObject({ kind: 'credential_issued', seq: 0, source: 'privpath', credential_scopes: ['a', 'b'] })
  })

  it('reasoning spans by agent.step.kind', () => {
    const record = mapOne({ spanId: 'g', attributes: { 'agent.step.kind': 'reasoning', 'agent.step.content': 'I should query the db' } })
    expect(record.events[0]).toMatchObject({ kind: 'reasoning_step', source: 'privpath', content: 'I should query the db' })
  })

  it('a reasoning-step span with reasoning output parts is one step carrying their text', () => {
    const record = mapOne({
      spanId: 'g2',
      attributes: {
        'agent.step.kind': 'reasoning',
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'reasoning', content: 'first' }, { type: 'reasoning', content: 'then' }] }]),
      },
    })
    expect(record.events.map((event) => [event.kind, event.content])).toEqual([['reasoning_step', 'first\nthen']])
  })

  it('lists unmapped span events on the span event instead of dropping them silently', () => {
    const record = mapOne({ spanId: 'h', events: [{ name: 'ai.stream.firstChunk', atMs: T0 }, { name: 'custom', atMs: T0 }] })
    expect(record.events).toHaveLength(1)
    expect(record.events[0].attributes['otel.span_events.unmapped']).toBe('ai.stream.firstChunk,custom')
  })
})

describe('unknown spans, status and errors', () => {
  it('keeps unknown spans as other with name, status and error', () => {
    const record = mapOne({
      spanId: 'i',
      name: 'GET /health',
      attributes: { 'http.method': 'GET', 'http.status_code': 500, big: 12n, bytes: new Uint8Array([1, 255]) },
      status: { code: 2, message: 'boom' },
    })
    expect(record.events[0]).toMatchObject({ kind: 'other', name: 'GET /health', status: 'error', error: 'boom' })
    expect(record.events[0].attributes).toMatchObject({ 'http.method': 'GET', 'http.status_code': '500', big: '12', bytes: '01ff' })
  })

  it('takes the error from an exception event when the status has no message', () => {
    const record = mapOne({
      spanId: 'j',
      status: { code: 2, message: '' },
      events: [{ name: 'exception', atMs: T0, attributes: { 'exception.type': 'TypeError', 'exception.message': 'x is undefined' } }],
    })
    expect(record.events).toHaveLength(1)
    expect(record.events[0].error).toBe('TypeError: x is undefined')
  })
})

describe('event ids', () => {
  it('are deterministic and distinct per kind, seq and position', () => {
    const init = {
      spanId: 'k',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'reasoning', content: 'a' }, { type: 'reasoning', content: 'b' }] }]),
      },
      events: [{ name: 'credential.used', atMs: T0, attributes: { 'credential.id': 'c' } }],
    }
    const first = mapOne(init).events.map((event) => event.event_id)
    const again = mapOne(init, {}, { observedAt: T0 + 99_999 }).events.map((event) => event.event_id)
    expect(again).toEqual(first)
    expect(new Set(first).size).toBe(first.length)
    expect(mapOne({ ...init, spanId: 'k2' }).events[0].event_id).not.toBe(first[0])
  })
})

describe('tenancy', () => {
  it('stamps the authenticated tenant and flags a different claim', () => {
    const record = mapOne({ spanId: 'l', attributes: { 'tenant.id': 'evil', 'credential.id': 'x' }, events: [{ name: 'approval', atMs: T0 }] }, {}, { authTenant: 'acme' })
    expect(record.tenantId).toBe('acme')
    for (const event of record.events) {
      expect(event.tenant_id).toBe('acme')
      expect(event.flags).toContain('tenant_mismatch')
      expect(event.attributes['tenant.claimed']).toBe('evil')
    }
  })

  it('does not flag a matching or absent claim', () => {
    expect(mapOne({ spanId: 'm', attributes: { 'tenant.id': 'acme' } }, {}, { authTenant: 'acme' }).events[0].flags).toEqual([])
    expect(mapOne({ spanId: 'm' }, {}, { authTenant: 'acme' }).events[0]).toMatchObject({ tenant_id: 'acme', flags: [] })
  })

  it('without auth uses the claim, else default (left for the correlator to inherit)', () => {
    expect(mapOne({ spanId: 'n' }, { 'tenant.id': 'globex' })).toMatchObject({ tenantId: 'globex', authTenant: '', tenantSettled: true })
    expect(mapOne({ spanId: 'n' })).toMatchObject({ tenantId: 'default', authTenant: '', tenantSettled: false })
    expect(mapOne({ spanId: 'n' }, {}, { authTenant: 'acme' })).toMatchObject({ tenantId: 'acme', authTenant: 'acme', tenantSettled: true })
    expect(mapOne({ spanId: 'n' }, { 'tenant.id': 'globex' }).events[0].tenant_id).toBe('globex')
    expect(mapOne({ spanId: 'n' }).events[0].tenant_id).toBe('default')
    expect(mapOne({ spanId: 'n' }, {}, { authTenant: '' }).events[0].tenant_id).toBe('default')
  })
})
