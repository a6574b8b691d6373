/**
 * The SDK and the collector agree on the wire: every SDK call, exported as OTLP protobuf the way
 * the OTel exporter sends it, maps to exactly the privpath event it stands for.
 */
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { createPrivpath, TaskAttributesSpanProcessor, type Privpath } from '@privpath/sdk'
import { beforeAll, describe, expect, it } from 'vitest'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTracesProtobuf } from '../collector/otlp/protobuf-traces.js'
import type { PrivpathEvent } from '../core/event.js'

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
})

function record(fn: (privpath: Privpath) => void, captureContent = true): PrivpathEvent[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new TaskAttributesSpanProcessor(), new SimpleSpanProcessor(exporter)] })
  fn(createPrivpath({ tracerProvider: provider, captureContent }))
  const body = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())
  if (body === undefined) throw new Error('no OTLP body')
  const decoded = decodeTracesProtobuf(body)
  expect(decoded.rejectedSpans).toBe(0)
  const correlator = new Correlator({ maxHeldSpans: 100, maxKnownSpans: 100 })
  const placed = correlator.add(mapTraceRequest(decoded.request), Date.now())
  expect(correlator.held()).toBe(0)
  return placed.flatMap((r) => r.events)
}

const TASK = { taskId: 't-1', tenantId: 'acme', agentId: 'planner', workloadId: 'wl-1', userId: 'alice' }

function only(events: PrivpathEvent[], kind: PrivpathEvent['kind']): PrivpathEvent {
  const found = events.filter((e) => e.kind === kind)
  expect(found, `${kind} in ${events.map((e) => e.kind).join(',')}`).toHaveLength(1)
  return found[0]
}

describe('SDK spans through the collector mapper', () => {
  it('a task becomes task_start and task_end around its events, all in the task', () => {
    const events = record((p) => p.startTask(TASK, () => p.recordPrompt('hi')))
    // The task span, of no kind of its own, is the task_start itself (collector/correlate/task-boundaries.ts).
    expect(events.map((e) => e.kind).sort()).toEqual(['prompt', 'task_end', 'task_start'])
    expect(new Set(events.map((e) => e.task_id))).toEqual(new Set(['t-1']))
    expect(only(events, 'task_start')).toMatchObject({ tenant_id: 'acme', agent_id: 'planner' })
  })

  it('a turn kept open starts the task without ending it; the turn that does not keep it open ends it', () => {
    const events = record((p) => {
      p.startTask({ ...TASK, keepOpen: true }, () => p.recordPrompt('turn 1'))
      p.startTask(TASK, () => p.recordPrompt('turn 2'))
    })
    const boundaries = events.filter((e) => e.kind === 'task_start' || e.kind === 'task_end')
    expect(boundaries.map((e) => [e.kind, e.task_id])).toEqual([
      ['task_start', 't-1'],
      ['task_start', 't-1'],
      ['task_end', 't-1'],
    ])
    const [first, second, end] = boundaries
    expect(first.trace_id).not.toBe(second.trace_id)
    expect(end).toMatchObject({ trace_id: second.trace_id, span_id: second.span_id, source: 'privpath', tenant_id: 'acme' })
  })

  it('a prompt becomes one prompt event with the message text, a reasoning step one reasoning_step', () => {
    const events = record((p) =>
      p.startTask(TASK, () => {
        p.recordPrompt('Refund invoice 1042', { model: 'gpt-4o' })
        p.reasoningStep('Check the refund policy first')
      }),
    )
    expect(only(events, 'prompt')).toMatchObject({ source: 'gen_ai', tenant_id: 'acme', agent_id: 'planner', workload_id: 'wl-1', user_id: 'alice' })
    expect(only(events, 'prompt').content).toContain('Refund invoice 1042')
    expect(only(events, 'reasoning_step')).toMatchObject({ source: 'privpath', content: 'Check the refund policy first' })
  })

  it('a tool call becomes tool_invocation plus credential_used when it presents a credential', () => {
    const events = record((p) =>
      p.startTask(TASK, () =>
        p.toolCall('sql_query', { target: { tenant: 'globex', resource: 'db/invoices' }, credentialId: 'cred-1', callId: 'c-1', arguments: { q: 1 } }, () => 1),
      ),
    )
    expect(only(events, 'tool_invocation')).toMatchObject({
      tool_name: 'sql_query',
      tool_call_id: 'c-1',
      tool_arguments: '{"q":1}',
      target_tenant: 'globex',
      target_resource: 'db/invoices',
    })
    expect(only(events, 'credential_used')).toMatchObject({ credential_id: 'cred-1' })
  })

  it('credential, authz and approval calls become their contract events with every field', () => {
    const events = record((p) =>
      p.startTask(TASK, (task) => {
        p.credentialIssued({ id: 'cred-1', type: 'oauth2', issuer: 'idp', subject: 'planner', scopes: ['a', 'b'], ttlSeconds: 60 })
        p.authzDecision({ result: 'deny', action: 'db.drop', resource: 'db/x', policy: 'no-ddl', engine: 'opa' })
        p.approval({ result: 'granted', action: 'payments.transfer', approver: 'bob' })
        p.credentialUsed('cred-1')
        p.credentialRevoked('cred-1')
        return task
      }),
    )
    const issued = only(events, 'credential_issued')
    expect(issued).toMatchObject({ credential_id: 'cred-1', credential_type: 'oauth2', credential_issuer: 'idp', credential_subject: 'planner', credential_scopes: ['a', 'b'], credential_task_id: 't-1' })
    expect(issued.credential_expires_at).toBe(issued.ts + 60_000)
    expect(only(events, 'authz_decision')).toMatchObject({ authz_result: 'deny', authz_action: 'db.drop', authz_resource: 'db/x', authz_policy: 'no-ddl', authz_engine: 'opa' })
    expect(only(events, 'approval')).toMatchObject({ approval_result: 'granted', approval_action: 'payments.transfer', approval_approver: 'bob' })
    expect(only(events, 'credential_used')).toMatchObject({ credential_id: 'cred-1', task_id: 't-1' })
    expect(only(events, 'credential_revoked')).toMatchObject({ credential_id: 'cred-1' })
  })

  it('an event outside any span maps once, from its own contract-named span', () => {
    const events = record((p) => p.credentialRevoked('cred-9'))
    expect(only(events, 'credential_revoked')).toMatchObject({ credential_id: 'cred-9' })
  })

  it('a delegation span names the delegate and the scopes handed over', () => {
    const events = record((p) => p.startTask(TASK, () => p.delegate({ agentId: 'billing', scopes: ['invoices:read'] }, () => undefined)))
    expect(only(events, 'delegation')).toMatchObject({
      agent_id: 'planner',
      delegate_agent_id: 'billing',
      delegated_scopes: ['invoices:read'],
      task_id: 't-1',
    })
  })

  it('without content capture no prompt text or tool arguments are sent', () => {
    const events = record((p) => p.startTask(TASK, () => {
      p.recordPrompt('secret plan')
      p.toolCall('t', { arguments: { x: 1 } }, () => 1)
    }), false)
    expect(only(events, 'prompt').content).toBe('')
    expect(only(events, 'tool_invocation').tool_arguments).toBe('')
  })
})
