import { describe, expect, it } from 'vitest'
import { logRecord, logRequest, TRACE_ID } from '../../testkit/otlp-builders.js'
import { mapLogRequest } from './map.js'

const T0 = 1_700_000_000_000

describe('log records', () => {
  it('a contract event name maps like the span event; ids come from the record', () => {
    const [record] = mapLogRequest(
      logRequest(
        [
          logRecord({
            eventName: 'credential.issued',
            spanId: 'aa00',
            atMs: T0,
            attributes: { 'credential.id': 'c1', 'credential.ttl_s': '60', 'agent.task.id': 'task-1' },
          }),
        ],
        { 'tenant.id': 'acme' },
      ),
      { observedAt: T0 },
    )
    expect(record).toMatchObject({ signal: 'log', traceId: TRACE_ID, spanId: 'aa00', parentSpanId: '', explicitTaskId: 'task-1', tenantId: 'acme' })
    expect(record.events[0]).toMatchObject({
      kind: 'credential_issued',
      source: 'privpath',
      trace_id: TRACE_ID,
      span_id: 'aa00',
      credential_id: 'c1',
      credential_expires_at: T0 + 60_000,
      tenant_id: 'acme',
    })
  })

  it('reads the event name from the event.name attribute too', () => {
    const [record] = mapLogRequest(logRequest([logRecord({ attributes: { 'event.name': 'authz.decision', 'authz.result': 'allow' } })]))
    expect(record.events[0]).toMatchObject({ kind: 'authz_decision', authz_result: 'allow', name: 'authz.decision' })
    expect(record.events[0].attributes).not.toHaveProperty('event.name')
  })

  it('gen_ai.user.message logs → prompt from the body; gen_ai.choice → other', () => {
    const records = mapLogRequest(
      logRequest([
        logRecord({ eventName: 'gen_ai.user.message', body: { content: 'summarize the doc' }, attributes: { 'gen_ai.system': 'openai' } }),
        logRecord({ eventName: 'gen_ai.choice', body: { index: 0, message: { content: 'done' } } }),
      ]),
    )
    expect(records[0].events[0]).toMatchObject({ kind: 'prompt', source: 'gen_ai', content: 'user: summarize the doc' })
    expect(records[1].events[0]).toMatchObject({ kind: 'other', name: 'gen_ai.choice' })
    expect(records[1].events[0].attributes['log.body']).toBe('{"index":0,"message":{"content":"done"}}')
  })

  it('inference details events carry input and output messages', () => {
    const [record] = mapLogRequest(
      logRequest([
        logRecord({
          eventName: 'gen_ai.client.inference.operation.details',
          attributes: {
            'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'q' }] }],
            'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'reasoning', content: 'r' }] }],
          },
        }),
      ]),
    )
    expect(record.events.map((event) => [event.kind, event.content])).toEqual([
      ['prompt', 'user: q'],
      ['reasoning_step', 'r'],
    ])
  })

  it('unknown records are kept as other with body, severity and error status', () => {
    const [record] = mapLogRequest(
      logRequest([logRecord({ body: 'disk full', severityNumber: 17, severityText: 'ERROR', traceId: '', spanId: '' })]),
    )
    expect(record.fallbackTaskId).toBe('untraced')
    expect(record.events[0]).toMatchObject({ kind: 'other', name: 'log', status: 'error', error: 'ERROR' })
    expect(record.events[0].attributes).toMatchObject({ 'log.body': 'disk full', 'log.severity': 'ERROR' })
  })

  it('distinct records in one span get distinct, deterministic ids', () => {
    const build = () =>
      mapLogRequest(
        logRequest([
          logRecord({ eventName: 'credential.used', spanId: 's', attributes: { 'credential.id': 'a' } }),
          logRecord({ eventName: 'credential.used', spanId: 's', attributes: { 'credential.id': 'b' } }),
        ]),
      ).map((record) => record.events[0].event_id)
    const ids = build()
    expect(ids[0]).not.toBe(ids[1])
    expect(build()).toEqual(ids)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}\.s\/log\/[0-9a-f]{32}\.0\.000\.[a-z_]+$/)
  })
})
