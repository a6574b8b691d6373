/** The GenAI operations newer than the first mapping: workflows, plans, memory, retrieval, datastore tools and guardrails. */
import { describe, expect, it } from 'vitest'
import { span, traceRequest } from '../../testkit/otlp-builders.js'
import type { Attributes } from '../otlp/index.js'
import { mapTraceRequest } from './map.js'

const T0 = 1_700_000_000_000

function mapped(attributes: Attributes, name = 'span', options = {}) {
  const [record] = mapTraceRequest(traceRequest([span({ spanId: 'g1', name, startMs: T0, endMs: T0 + 50, attributes })]), { observedAt: T0, ...options })
  return { record, event: record.events[0] }
}

describe('GenAI operations', () => {
  it('invoke_workflow is an agent span: the workflow named by gen_ai.agent.name, else gen_ai.workflow.name', () => {
    expect(mapped({ 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.agent.name': 'support_pipeline' }).record).toMatchObject({ invokesAgent: true, agentId: 'support_pipeline', agentName: 'support_pipeline' })
    expect(mapped({ 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'multi_agent_rag' }).record).toMatchObject({ invokesAgent: true, agentId: 'multi_agent_rag', agentName: 'multi_agent_rag' })
  })

  it('a plan is one reasoning step whose text is the plan the model wrote', () => {
    const { event } = mapped({
      'gen_ai.operation.name': 'plan',
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '1. look up the order 2. refund it' }] }]),
    })
    expect(event).toMatchObject({ kind: 'reasoning_step', source: 'gen_ai', content: 'assistant: 1. look up the order 2. refund it' })
  })

  it('memory operations are calls of the memory.<verb> tool', () => {
    for (const [operation, tool] of [['create_memory', 'memory.create'], ['search_memory', 'memory.search'], ['update_memory', 'memory.update'], ['delete_memory', 'memory.delete']]) {
      const { event } = mapped({ 'gen_ai.operation.name': operation, 'gen_ai.tool.call.arguments': '{"text":"likes tea"}', 'gen_ai.data_source.id': 'mem-store-1' })
      expect(event).toMatchObject({ kind: 'tool_invocation', tool_name: tool, tool_arguments: '{"text":"likes tea"}', target_resource: 'mem-store-1' })
    }
    expect(mapped({ 'gen_ai.operation.name': 'search_memory', 'gen_ai.tool.name': 'mem0.search' }).event.tool_name).toBe('mem0.search')
  })

  it('retrieval, and an execute_tool of a datastore tool, are retrievals; the tool type stays pinned for the detector', () => {
    expect(mapped({ 'gen_ai.operation.name': 'retrieval', 'gen_ai.data_source.id': 'kb', 'output.value': 'doc text' }, 'retrieval kb').event).toMatchObject({
      kind: 'tool_invocation', tool_name: 'retrieval kb', target_resource: 'kb', tool_result: 'doc text',
    })
    const { event } = mapped({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'kb.lookup', 'gen_ai.tool.type': 'datastore', 'retrieval.documents.0.document.content': 'first', 'retrieval.documents.1.document.content': 'second' })
    expect(event).toMatchObject({ tool_name: 'kb.lookup', tool_result: 'first\nsecond', attributes: { 'gen_ai.tool.type': 'datastore' } })
    expect(mapped({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calc', 'gen_ai.tool.type': 'function' }).event.attributes['gen_ai.tool.type']).toBe('function')
  })
})

describe('guardrails', () => {
  const verdict = (attributes: Attributes) => mapped(attributes).event.attributes['guardrail.verdict']

  it('apply_guardrail is a guardrail event with its decision', () => {
    expect(mapped({ 'gen_ai.operation.name': 'apply_guardrail', 'gen_ai.guardrail.decision': 'BLOCKED' }, 'apply_guardrail pii').event).toMatchObject({ kind: 'guardrail', source: 'gen_ai', name: 'apply_guardrail pii' })
    expect(verdict({ 'gen_ai.operation.name': 'apply_guardrail', 'gen_ai.guardrail.decision': 'BLOCKED' })).toBe('deny')
    expect(verdict({ 'gen_ai.operation.name': 'apply_guardrail', 'gen_ai.guardrail.verdict': 'redacted' })).toBe('modify')
    expect(verdict({ 'gen_ai.operation.name': 'apply_guardrail', 'gen_ai.guardrail.verdict': 'passed' })).toBe('allow')
  })

  it("an OpenInference GUARDRAIL's verdict is read from its output: a word or a JSON object", () => {
    const oi = (output: string) => verdict({ 'openinference.span.kind': 'GUARDRAIL', 'input.value': 'my card is 4111…', 'output.value': output })
    expect(mapped({ 'openinference.span.kind': 'GUARDRAIL', 'output.value': 'pass' }).event).toMatchObject({ kind: 'guardrail', source: 'openinference' })
    expect(oi('pass')).toBe('allow')
    expect(oi('{"decision":"block","reason":"pii"}')).toBe('deny')
    expect(oi('{"passed":false}')).toBe('deny')
    expect(oi('{"flagged":false}')).toBe('allow')
    expect(oi('{"tripwire_triggered":true}')).toBe('deny')
    expect(oi('{"score":0.3}')).toBeUndefined()
    expect(oi('looks fine to me')).toBeUndefined()
  })
})
