import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../core/config/load.js'
import { opaDecision, opaTimestamp } from '../../testkit/opa.js'
import { createPipelineStages } from '../stages.js'
import { type BatchDecision, decodeBatch, encodeBatch, type OpaBatch } from './batch.js'
import { readUpload } from './decisions.js'
import type { DecisionJoin } from './joins.js'
import { mapOpaBatch } from './map.js'

const CALL_AT = Date.parse('2026-12-07T10:04:05.000Z')
const NOW = CALL_AT + 5 * 60_000
const TOOL_CALL: DecisionJoin = {
  via: 'tool_call',
  task_id: 'task-1',
  tenant_id: 'acme',
  agent_id: 'planner',
  agent_name: 'Planner',
  tool_span_id: 'aaaaaaaaaaaaaaaa',
  tool_name: 'db.drop_table',
  tool_ts: CALL_AT,
  tool_target: 'orders',
}

function batchOf(event: Record<string, unknown>, settled: Pick<BatchDecision, 'verdict' | 'join'>): OpaBatch {
  const [{ decision }] = readUpload(Buffer.from(JSON.stringify([event])))
  return { opa_decisions: [{ ...decision, ...settled }] }
}

const map = (batch: OpaBatch, options: Parameters<typeof mapOpaBatch>[1] = {}) => mapOpaBatch(batch, { observedAt: NOW, ...options })

describe('an OPA decision as an event', () => {
  it('is an authz_decision of engine opa joined to the tool call it gates, dated no later than the call', () => {
    const [record] = map(batchOf(opaDecision({ timestamp: opaTimestamp(CALL_AT + 40) }), { verdict: 'deny', join: TOOL_CALL }))
    expect(record).toMatchObject({
      signal: 'log',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      explicitTaskId: 'task-1',
      fallbackTaskId: '4bf92f3577b34da6a3ce929d0e0e4736',
      agentId: 'planner',
      tenantId: 'acme',
    })
    const [event] = record.events
    expect(event).toMatchObject({
      kind: 'authz_decision',
      source: 'opa',
      ts: CALL_AT,
      observed_at: NOW,
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      parent_span_id: 'aaaaaaaaaaaaaaaa',
      agent_id: 'planner',
      authz_result: 'deny',
      authz_policy: 'agents/tools/allow',
      authz_engine: 'opa',
      authz_action: 'db.drop_table',
      authz_resource: 'orders',
      status: 'unset',
      task_id: '',
    })
    expect(event.attributes).toEqual({
      'opa.decision_id': '0a7e1c1b-6f1e-4d1a-9a55-7e1a3e6d2b41',
      'opa.timestamp': opaTimestamp(CALL_AT + 40),
      'opa.join': 'tool_call',
      'opa.result': 'false',
      'opa.input': '{"action":"db.drop_table","resource":{"id":"orders","tenant":"acme"},"principal":{"id":"planner"}}',
      'opa.requested_by': '10.0.3.7:51812',
      'opa.req_id': '7',
      'opa.bundles.authz.revision': '7c2d1e',
      'opa.labels.id': '5c7f2f3e-3e46-4ff1-9d45-1a0d3f1d0c2b',
      'opa.labels.version': '1.4.2',
      'opa.labels.env': 'prod',
    })
  })

  it('keeps its own time when made before the call, or when not joined to a call', () => {
    const before = map(batchOf(opaDecision({ timestamp: opaTimestamp(CALL_AT - 40) }), { verdict: 'deny', join: TOOL_CALL }))
    expect(before[0].events[0].ts).toBe(CALL_AT - 40)
    const alone = map(batchOf(opaDecision({ timestamp: opaTimestamp(CALL_AT + 40) }), { verdict: 'allow', join: null }))
    expect(alone[0]).toMatchObject({ explicitTaskId: '', agentId: '', tenantId: 'default', tenantSettled: false })
    expect(alone[0].events[0]).toMatchObject({ ts: CALL_AT + 40, parent_span_id: '', authz_action: 'db.drop_table', authz_result: 'allow' })
    expect(alone[0].events[0].attributes['opa.join']).toBe('correlator')
  })

  it("has an id from the decision id, the same for a re-upload, another for another decision", () => {
    const first = map(batchOf(opaDecision(), { verdict: 'deny', join: null }))[0].events[0].event_id
    const again = map(batchOf(opaDecision(), { verdict: 'deny', join: TOOL_CALL }), { observedAt: NOW + 60_000 })[0].events[0].event_id
    const other = map(batchOf(opaDecision({ decision_id: 'another' }), { verdict: 'deny', join: null }))[0].events[0].event_id
    expect(first).toMatch(/^4bf92f3577b34da6a3ce929d0e0e4736\.00f067aa0ba902b7\/opa\/[0-9a-f]{32}\.0\.000\.authz_decision$/)
    expect(again).toBe(first)
    expect(other).not.toBe(first)
  })

  it("is stamped with the key's tenant, redacted, and keeps the input only when content is captured", () => {
    const token = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'
    const batch = batchOf(opaDecision({ input: { action: 'git.push', token } }), { verdict: 'allow', join: { ...TOOL_CALL, tenant_id: 'globex' } })
    const [keyed] = map(batch, { authTenant: 'acme' })
    expect(keyed.events[0]).toMatchObject({ tenant_id: 'acme', domain: 'acme' })
    expect(keyed.events[0].flags).toContain('secret_redacted')
    expect(JSON.stringify(keyed.events[0])).not.toContain(token)
    const [admin] = map(batch, { authTenant: '*' })
    expect(admin.events[0]).toMatchObject({ tenant_id: 'globex', domain: '' })
    const [quiet] = map(batch, { captureContent: false })
    expect(quiet.events[0].attributes['opa.input']).toBeUndefined()
  })

  it('records an evaluation error as an error status', () => {
    const [record] = map(batchOf(opaDecision({ result: undefined, error: { message: 'undefined function' } }), { verdict: '', join: null }))
    expect(record.events[0]).toMatchObject({ status: 'error', error: 'undefined function', authz_result: '' })
  })

  it('takes the time it arrived at when OPA dates it beyond the clock bounds (clock_skew)', () => {
    const [record] = map(batchOf(opaDecision({ timestamp: '2100-01-01T00:00:00Z' }), { verdict: 'deny', join: null }))
    expect(record.events[0]).toMatchObject({ ts: NOW, flags: ['clock_skew'] })
    expect(record.events[0].attributes['privpath.original_ts']).toBe('2100-01-01T00:00:00Z')
  })

  it('maps a replayed write-ahead log record exactly as the upload acknowledged', () => {
    const batch = batchOf(opaDecision(), { verdict: 'deny', join: TOOL_CALL })
    const stages = createPipelineStages(validateConfig({}), new Registry())
    const replayed = stages.decode('opa', encodeBatch(batch), 'json')
    expect(decodeBatch(encodeBatch(batch))).toEqual(batch)
    expect(stages.map('opa', replayed, { authTenant: 'acme', observedAt: NOW })).toEqual(stages.map('opa', batch, { authTenant: 'acme', observedAt: NOW }))
    expect(() => stages.decode('opa', Buffer.from('{"spans": []}'), 'json')).toThrow(/holds no opa_decisions/)
  })
})
