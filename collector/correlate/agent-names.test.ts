/** Agents named only by name on internal agent spans (the GenAI conventions give those no gen_ai.agent.id). */
import { describe, expect, it } from 'vitest'
import { span, traceRequest } from '../../testkit/otlp-builders.js'
import { mapTraceRequest } from '../mapping/index.js'
import { Correlator } from './correlator.js'

const T0 = 1_700_000_000_000
const invoke = (attributes: Record<string, string>) => ({ 'gen_ai.operation.name': 'invoke_agent', ...attributes })

function place(spans: Parameters<typeof span>[0][]) {
  const correlator = new Correlator({ graceWindowMs: 30_000, maxHeldSpans: 100, maxKnownSpans: 1_000 })
  const records = mapTraceRequest(traceRequest(spans.map((init) => span({ startMs: T0, ...init }))), { observedAt: T0 })
  return Object.fromEntries(correlator.add(records, T0).map((record) => [record.spanId, record.events.filter((event) => event.kind !== 'task_start' && event.kind !== 'task_end')[0]]))
}

describe('agents named by name only', () => {
  it('an internal agent span naming the agent its CLIENT span called by id is that agent: no delegation, the id carried down', () => {
    const placed = place([
      { spanId: 'root', attributes: invoke({ 'gen_ai.agent.id': 'planner', 'gen_ai.agent.name': 'planner' }) },
      { spanId: 'call', parentSpanId: 'root', attributes: invoke({ 'gen_ai.agent.id': 'asst_5j66', 'gen_ai.agent.name': 'Math Tutor' }) },
      { spanId: 'inner', parentSpanId: 'call', attributes: invoke({ 'gen_ai.agent.name': 'Math Tutor' }) },
      { spanId: 'tool', parentSpanId: 'inner', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calc' } },
    ])
    expect(placed.call).toMatchObject({ kind: 'delegation', agent_id: 'planner', delegate_agent_id: 'asst_5j66' })
    expect(placed.inner).toMatchObject({ kind: 'other', agent_id: 'asst_5j66', agent_name: 'Math Tutor' })
    expect(placed.tool).toMatchObject({ kind: 'tool_invocation', agent_id: 'asst_5j66' })
  })

  it('another name under it is still a delegation', () => {
    const placed = place([
      { spanId: 'call', attributes: invoke({ 'gen_ai.agent.id': 'asst_5j66', 'gen_ai.agent.name': 'Math Tutor' }) },
      { spanId: 'inner', parentSpanId: 'call', attributes: invoke({ 'gen_ai.agent.name': 'Grader' }) },
    ])
    expect(placed.inner).toMatchObject({ kind: 'delegation', agent_id: 'asst_5j66', delegate_agent_id: 'Grader' })
  })
})
