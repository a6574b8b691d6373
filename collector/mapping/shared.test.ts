import { describe, expect, it } from 'vitest'
import type { ExportTraceServiceRequest } from '../otlp/index.js'
import { BUILT_AT_MS, logRecord, logRequest, span, traceRequest } from '../../testkit/otlp-builders.js'
import { mapLogRequest, mapTraceRequest } from './map.js'

const GHP = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'

const tool = (spanId: string) =>
  span({
    spanId,
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'read_file', 'credential.id': `cred-${spanId}` },
    events: [{ name: 'authz.decision', atMs: 1_700_000_000_050, attributes: { 'authz.result': 'allow' } }],
  })

/** Two resources, the first with two scopes: what is read once per resource or scope must not leak into the others. */
function twoResources(): ExportTraceServiceRequest {
  const [first] = traceRequest([tool('a1'), tool('a2')], { 'service.name': `svc ${GHP}`, 'tenant.id': 'acme', 'gen_ai.agent.name': 'planner' }, `scope ${GHP}`).resourceSpans
  const [second] = traceRequest([tool('b1')], { 'service.name': 'billing', 'agent.workload.id': 'wl-2' }, 'plain').resourceSpans
  first.scopeSpans.push({ scope: { name: 'other-scope', version: '', attributes: {} }, spans: [span({ spanId: 'a3', attributes: { 'tenant.id': 'globex' } })] })
  return { resourceSpans: [first, second] }
}

describe('work shared by the spans of one resource scope', () => {
  const records = mapTraceRequest(twoResources(), { observedAt: BUILT_AT_MS })
  const bySpan = (spanId: string) => records.find((record) => record.spanId === spanId)!

  it('redacts the context attributes of every event of every span and flags each event', () => {
    const events = [...bySpan('a1').events, ...bySpan('a2').events]
    expect(events.length).toBeGreaterThanOrEqual(6)
    for (const event of events) {
      expect(event.attributes['service.name']).toBe('svc [REDACTED:github_token]')
      expect(event.attributes['otel.scope.name']).toBe('scope [REDACTED:github_token]')
      expect(event.attributes['redaction.kinds']).toBe('github_token')
      expect(event.flags).toEqual(['secret_redacted'])
    }
    // Each event owns its flags list: the correlator appends to it.
    expect(new Set(events.map((event) => event.flags)).size).toBe(events.length)
  })

  it('gives each scope its own scope name and each resource its own identity fallbacks', () => {
    expect(bySpan('a3').events[0].attributes['otel.scope.name']).toBe('other-scope')
    expect(bySpan('a3').events[0].attributes['redaction.kinds']).toBe('github_token')
    expect(bySpan('a3').tenantId).toBe('globex')
    expect(bySpan('a1').tenantId).toBe('acme')
    expect(bySpan('a1').agentName).toBe('planner')
    expect(bySpan('a1').agentId).toBe('planner')

    const b1 = bySpan('b1')
    expect(b1.tenantId).toBe('default')
    expect(b1.agentName).toBe('')
    expect(b1.events[0].workload_id).toBe('wl-2')
    expect(b1.events[0].attributes['service.name']).toBe('billing')
    expect(b1.events[0].attributes['otel.scope.name']).toBe('plain')
    expect(b1.events[0].attributes['redaction.kinds']).toBeUndefined()
    expect(b1.events[0].flags).toEqual([])
  })

  it('does the same for log records', () => {
    const [record] = mapLogRequest(logRequest([logRecord({ spanId: 's1', attributes: { 'event.name': 'note' } })], { 'service.name': `svc ${GHP}`, 'tenant.id': 'acme' }))
    expect(record.tenantId).toBe('acme')
    expect(record.events[0].attributes['service.name']).toBe('svc [REDACTED:github_token]')
    expect(record.events[0].flags).toContain('secret_redacted')
  })
})
