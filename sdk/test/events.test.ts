import { context, propagation } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { harness, TASK, TASK_ATTRIBUTES } from './harness.js'

describe('privilege events', () => {
  it('adds credential.issued to the current span with every attribute and the current task id', () => {
    const h = harness()
    h.privpath.startTask(TASK, () =>
      h.privpath.toolCall('get_token', {}, () =>
        h.privpath.credentialIssued({
          id: 'cred-1',
          type: 'oauth2_access_token',
          issuer: 'https://idp.acme',
          subject: 'agent-planner',
          scopes: ['invoices:read', 'invoices:write'],
          ttlSeconds: 300,
        }),
      ),
    )
    const [event] = h.span('execute_tool get_token').events
    expect(event.name).toBe('credential.issued')
    expect(event.attributes).toEqual({
      'credential.id': 'cred-1',
      'credential.type': 'oauth2_access_token',
      'credential.issuer': 'https://idp.acme',
      'credential.subject': 'agent-planner',
      'credential.scopes': ['invoices:read', 'invoices:write'],
      'credential.ttl_s': 300,
      'credential.task.id': 'task-1',
    })
  })

  it('writes expiresAt as RFC 3339 and keeps an explicit task id', () => {
    const h = harness()
    h.privpath.startTask(TASK, () =>
      h.privpath.credentialIssued({
        id: 'k',
        type: 'api_key',
        issuer: 'vault',
        subject: 's',
        scopes: [],
        expiresAt: Date.UTC(2026, 0, 2, 3, 4, 5),
        taskId: 'other-task',
      }),
    )
    const own = h.span('credential.issued').attributes
    expect(own['credential.expires_at']).toBe('2026-01-02T03:04:05.000Z')
    expect(own['credential.task.id']).toBe('other-task')
    expect(own).not.toHaveProperty('credential.ttl_s')
  })

  it('refuses a credential without a lifetime or with a bad expiry', () => {
    const h = harness()
    const base = { id: 'k', type: 'api_key', issuer: 'i', subject: 's', scopes: [] }
    expect(() => h.privpath.credentialIssued(base)).toThrow(/ttlSeconds or expiresAt/)
    expect(() => h.privpath.credentialIssued({ ...base, expiresAt: 'tomorrow' })).toThrow(/expiresAt/)
    expect(() => h.privpath.credentialIssued({ ...base, ttlSeconds: -1 })).toThrow(/ttlSeconds/)
    expect(h.spans()).toHaveLength(0)
  })

  it('adds authz.decision, approval, credential.used and credential.revoked events with exact attributes', () => {
    const h = harness()
    h.privpath.toolCall('wire', {}, () => {
      h.privpath.authzDecision({ result: 'deny', action: 'delete', resource: 'db/invoices', policy: 'no-deletes', engine: 'opa' })
      h.privpath.approval({ result: 'granted', action: 'wire_transfer', approver: 'bob' })
      h.privpath.credentialUsed('cred-1', { tenant: 'acme', resource: 'https://api.acme/v1' })
      h.privpath.credentialRevoked('cred-1')
    })
    expect(h.span('execute_tool wire').events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'authz.decision',
        { 'authz.result': 'deny', 'authz.action': 'delete', 'authz.resource': 'db/invoices', 'authz.policy': 'no-deletes', 'authz.engine': 'opa' },
      ],
      ['approval', { 'approval.result': 'granted', 'approval.action': 'wire_transfer', 'approval.approver': 'bob' }],
      ['credential.used', { 'credential.id': 'cred-1', 'target.tenant.id': 'acme', 'target.resource': 'https://api.acme/v1' }],
      ['credential.revoked', { 'credential.id': 'cred-1' }],
    ])
  })

  it('records events made directly under a task or delegation as short spans of their own, exported as they happen', () => {
    const h = harness()
    h.privpath.startTask(TASK, () => {
      h.privpath.authzDecision({ result: 'allow', action: 'read', resource: 'r' })
      h.privpath.delegate({ agentId: 'agent-b' }, () => h.privpath.credentialRevoked('cred-2'))
      expect(h.spans().map((s) => s.name)).toEqual(['authz.decision', 'credential.revoked', 'invoke_agent agent-b'])
    })
    const root = h.span('invoke_agent planner')
    expect(root.events.map((e) => e.name)).toEqual(['agent.task.end'])
    expect(h.span('invoke_agent agent-b').events).toEqual([])
    const authz = h.span('authz.decision')
    expect(authz.parentSpanContext?.spanId).toBe(root.spanContext().spanId)
    expect(authz.attributes).toEqual({ ...TASK_ATTRIBUTES, 'authz.result': 'allow', 'authz.action': 'read', 'authz.resource': 'r' })
    expect(h.span('credential.revoked').attributes).toMatchObject({ 'credential.id': 'cred-2', 'gen_ai.agent.id': 'agent-b', 'agent.task.id': 'task-1' })
  })

  it('leaves optional authz and approval fields out and rejects unknown results', () => {
    const h = harness()
    h.privpath.authzDecision({ result: 'allow', action: 'read', resource: 'r' })
    h.privpath.approval({ result: 'requested', action: 'a' })
    expect(h.span('authz.decision').attributes).toEqual({ 'authz.result': 'allow', 'authz.action': 'read', 'authz.resource': 'r' })
    expect(h.span('approval').attributes).toEqual({ 'approval.result': 'requested', 'approval.action': 'a' })
    expect(() => h.privpath.authzDecision({ result: 'maybe' as 'allow', action: 'a', resource: 'r' })).toThrow(/allow/)
    expect(() => h.privpath.approval({ result: 'ok' as 'granted', action: 'a' })).toThrow(/requested/)
  })

  it('turns an event outside any span into a span named like the event, with the task baggage attributes', () => {
    const h = harness()
    const baggage = propagation.createBaggage({ 'agent.task.id': { value: 'remote-task' }, 'tenant.id': { value: 'acme' } })
    context.with(propagation.setBaggage(context.active(), baggage), () => h.privpath.credentialRevoked('cred-9'))
    const own = h.span('credential.revoked')
    expect(own.attributes).toEqual({ 'agent.task.id': 'remote-task', 'tenant.id': 'acme', 'credential.id': 'cred-9' })
    expect(own.events).toEqual([])
  })
})
