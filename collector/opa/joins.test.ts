import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_TS, DB, insertEvents, makeEvent, openTestStore, type TestStore } from '../../testkit/store.js'
import { joinOf, type SpanFacts, storePlacements, type TraceFacts } from './joins.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

function facts(partial: Partial<SpanFacts>): SpanFacts {
  return { parent: '', task: 'task-1', tenant: 'acme', agent: 'planner', agentName: 'Planner', tool: '', toolTs: 0, toolCalls: 0, target: '', firstTs: BASE_TS, ...partial }
}

/** agent span a1 → tool span t1 (db.drop_table) → HTTP client span h1 → OPA's span o1; a sub-agent s1 of task-2 under t1. */
const trace: TraceFacts = new Map([
  ['a1', facts({ firstTs: BASE_TS - 10 })],
  ['t1', facts({ parent: 'a1', tool: 'db.drop_table', toolTs: BASE_TS, toolCalls: 1, target: 'orders' })],
  ['h1', facts({ parent: 't1', agent: '' })],
  ['o1', facts({ parent: 'h1', agent: '' })],
  ['s1', facts({ parent: 't1', task: 'task-2', agent: 'helper', agentName: 'Helper' })],
])

describe('where a decision joins', () => {
  it('joins the tool call whose span it names, or whose descendant it names', () => {
    const call = { via: 'tool_call', task_id: 'task-1', tenant_id: 'acme', agent_id: 'planner', agent_name: 'Planner', tool_span_id: 't1', tool_name: 'db.drop_table', tool_ts: BASE_TS, tool_target: 'orders' }
    expect(joinOf(trace, 't1')).toEqual(call)
    // the agent of the call, not of OPA's span
    expect(joinOf(trace, 'o1')).toEqual(call)
  })

  it("joins the span's task when no tool call of its task holds it", () => {
    expect(joinOf(trace, 'a1')).toMatchObject({ via: 'span', task_id: 'task-1', agent_id: 'planner', tool_span_id: '', tool_name: '' })
    // the delegating task's tool call is not the sub-agent's call
    expect(joinOf(trace, 's1')).toMatchObject({ via: 'span', task_id: 'task-2', agent_id: 'helper', tool_name: '' })
  })

  it('joins the task of the trace (its earliest span) when the span is unknown, and nothing without the trace', () => {
    expect(joinOf(trace, 'ffffffffffffffff')).toEqual({ via: 'trace', task_id: 'task-1', tenant_id: 'acme', agent_id: '', agent_name: '', tool_span_id: '', tool_name: '', tool_ts: 0, tool_target: '' })
    expect(joinOf(trace, '')).toMatchObject({ via: 'trace', task_id: 'task-1' })
    expect(joinOf(undefined, 't1')).toBeNull()
    expect(joinOf(new Map(), 't1')).toBeNull()
  })

  it('does not follow a parent loop forever', () => {
    const loop: TraceFacts = new Map([['x', facts({ parent: 'y' })], ['y', facts({ parent: 'x' })]])
    expect(joinOf(loop, 'x')).toMatchObject({ via: 'span' })
  })
})

describe('the spans of a trace in the store', () => {
  let store: TestStore
  beforeAll(async () => {
    store = await openTestStore('privpath-opa-joins-')
    const ev = (kind: Parameters<typeof makeEvent>[0]['kind'], span: string, parent: string, more: Parameters<typeof makeEvent>[0] = { kind, task_id: 'task-1' }) =>
      makeEvent({ trace_id: TRACE, span_id: span, parent_span_id: parent, domain: 'acme', agent_id: 'planner', ...more, kind })
    await insertEvents(store.client, [
      ev('task_start', 'a1', '', { kind: 'task_start', task_id: 'task-1', ts: BASE_TS - 10 }),
      ev('prompt', 'a1', '', { kind: 'prompt', task_id: 'task-1', ts: BASE_TS - 5 }),
      ev('tool_invocation', 't1', 'a1', { kind: 'tool_invocation', task_id: 'task-1', tool_name: 'db.drop_table', target_resource: 'orders', ts: BASE_TS + 0.25 }),
      ev('credential_used', 't1', 'a1', { kind: 'credential_used', task_id: 'task-1', credential_id: 'c1', ts: BASE_TS + 0.25 }),
      ev('other', 'o1', 't1', { kind: 'other', task_id: 'task-1', ts: BASE_TS + 2 }),
      // a decision privpath itself stored earlier says nothing about where the agent's spans are
      ev('authz_decision', 'z1', 't1', { kind: 'authz_decision', task_id: 'elsewhere', source: 'opa', ts: BASE_TS + 3 }),
      // the same trace id in another isolation domain is another trace
      makeEvent({ kind: 'tool_invocation', trace_id: TRACE, span_id: 'g1', domain: 'globex', task_id: 'globex-task', tool_name: 'x', ts: BASE_TS }),
      makeEvent({ kind: 'tool_invocation', trace_id: 'another-trace', span_id: 'n1', domain: 'acme', task_id: 'task-9', ts: BASE_TS }),
    ])
  })
  afterAll(async () => {
    await store?.destroy()
  })

  it("reads each span's parent, task, agent and tool call, in the caller's domain only", async () => {
    const traces = await storePlacements(store.client, DB)('acme', [TRACE, 'unknown-trace'], BASE_TS - 86_400_000)
    expect([...traces.keys()]).toEqual([TRACE])
    const spans = traces.get(TRACE)!
    expect([...spans.keys()].sort()).toEqual(['a1', 'o1', 't1'])
    expect(spans.get('t1')).toEqual({ parent: 'a1', task: 'task-1', tenant: 'acme', agent: 'planner', agentName: '', tool: 'db.drop_table', toolTs: BASE_TS + 0.25, toolCalls: 1, target: 'orders', firstTs: BASE_TS + 0.25 })
    expect(spans.get('a1')).toMatchObject({ parent: '', toolCalls: 0, firstTs: BASE_TS - 10 })
    expect(joinOf(spans, 'o1')).toMatchObject({ via: 'tool_call', tool_span_id: 't1', tool_ts: BASE_TS + 0.25 })
  })

  it('reads nothing dated before `since`', async () => {
    expect((await storePlacements(store.client, DB)('acme', [TRACE], BASE_TS + 60_000)).size).toBe(0)
  })
})
