import { describe, expect, it } from 'vitest'
import { span, traceRequest } from '../../testkit/otlp-builders.js'
import { mapTraceRequest } from './map.js'

const T0 = 1_700_000_000_000

function events(init: Parameters<typeof span>[0], resource = {}) {
  const [record] = mapTraceRequest(traceRequest([span({ startMs: T0, endMs: T0 + 800, ...init })], resource), { observedAt: T0 })
  return { record, events: record.events }
}

describe('OTel GenAI semantic conventions (1.36+)', () => {
  it('chat span → prompt from gen_ai.input.messages (JSON string) and system instructions; reasoning parts → reasoning_step at span end', () => {
    const { events: out } = events({
      spanId: 's1',
      name: 'chat gpt-4o',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a helpful agent.' }]),
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: 'Refund order 42' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', name: 'lookup', arguments: { id: 42 } }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'reasoning', content: 'Need the order first' }, { type: 'text', content: 'ok' }, { type: 'reasoning', content: 'Then refund' }] },
        ]),
      },
    })
    expect(out.map((event) => [event.kind, event.ts, event.seq])).toEqual([
      ['prompt', T0, 0],
      ['reasoning_step', T0 + 800, 0],
      ['reasoning_step', T0 + 800, 0],
    ])
    expect(out[0]).toMatchObject({ source: 'gen_ai', name: 'chat gpt-4o' })
    expect(out[0].content).toBe('system: You are a helpful agent.\nuser: Refund order 42\nassistant: tool_call lookup({"id":42})')
    expect(out.slice(1).map((event) => event.content)).toEqual(['Need the order first', 'Then refund'])
    expect(out[0].attributes).not.toHaveProperty('gen_ai.input.messages')
    expect(out[0].attributes['gen_ai.provider.name']).toBe('openai')
  })

  it('accepts gen_ai.input.messages as an array value and the other prompt operations', () => {
    for (const operation of ['text_completion', 'generate_content']) {
      const { events: out } = events({
        spanId: 's2',
        attributes: { 'gen_ai.operation.name': operation, 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }] },
      })
      expect(out[0]).toMatchObject({ kind: 'prompt', content: 'user: hi' })
    }
  })

  it('invoke_agent is marked for the correlator with its delegated scopes; other operations are other', () => {
    const { record } = events({
      spanId: 's3',
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'billing', 'agent.delegation.scopes': ['refunds:write'] },
    })
    expect(record).toMatchObject({ invokesAgent: true, agentId: 'billing', delegatedScopes: ['refunds:write'] })
    expect(record.events[0].kind).toBe('other')
    expect(events({ spanId: 's4', attributes: { 'gen_ai.operation.name': 'embeddings' } }).events[0]).toMatchObject({ kind: 'other', source: 'gen_ai' })
  })
})

describe('OTel GenAI, pre-1.36 forms', () => {
  it('gen_ai.system with indexed gen_ai.prompt.N attributes → prompt', () => {
    const { events: out } = events({
      spanId: 'l1',
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'be brief',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'hello',
        'gen_ai.completion.0.content': 'hi',
      },
    })
    expect(out[0]).toMatchObject({ kind: 'prompt', source: 'gen_ai', content: 'system: be brief\nuser: hello' })
    expect(out[0].attributes['gen_ai.completion.0.content']).toBe('hi')
  })

  it('gen_ai.content.prompt and gen_ai.*.message span events fill the prompt', () => {
    const { events: out } = events({
      spanId: 'l2',
      attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4' },
      events: [
        { name: 'gen_ai.content.prompt', atMs: T0 + 1, attributes: { 'gen_ai.prompt': '[{"role":"user","content":"What is 2+2?"}]' } },
        { name: 'gen_ai.user.message', atMs: T0 + 2, attributes: { content: 'and 3+3?' } },
        { name: 'gen_ai.content.completion', atMs: T0 + 3, attributes: { 'gen_ai.completion': '4' } },
      ],
    })
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ kind: 'prompt', content: 'user: What is 2+2?\nuser: and 3+3?' })
    expect(out[0].attributes['otel.span_events.unmapped']).toBe('gen_ai.content.completion')
  })

  it('a prompt event on a non-LLM span becomes its own prompt event', () => {
    const { events: out } = events({ spanId: 'l3', events: [{ name: 'gen_ai.user.message', atMs: T0 + 1, attributes: { content: 'hey' } }] })
    expect(out.map((event) => [event.kind, event.seq, event.content])).toEqual([
      ['other', 0, ''],
      ['prompt', 1, 'user: hey'],
    ])
  })
})

describe('OpenInference', () => {
  it('LLM → prompt from llm.input_messages, reasoning contents → reasoning_step, session.id → task fallback', () => {
    const { record, events: out } = events({
      spanId: 'o1',
      attributes: {
        'openinference.span.kind': 'LLM',
        'session.id': 'sess-1',
        'user.id': 'u1',
        'llm.input_messages.0.message.role': 'system',
        'llm.input_messages.0.message.content': 'sys',
        'llm.input_messages.1.message.role': 'user',
        'llm.input_messages.1.message.content': 'question',
        'input.value': '{"raw":"ignored when messages exist"}',
        'llm.output_messages.0.message.contents.0.message_content.type': 'reasoning',
        'llm.output_messages.0.message.contents.0.message_content.text': 'thinking hard',
      },
    })
    expect(record.fallbackTaskId).toBe('sess-1')
    expect(out[0]).toMatchObject({ kind: 'prompt', source: 'openinference', content: 'system: sys\nuser: question', user_id: 'u1' })
    expect(out[1]).toMatchObject({ kind: 'reasoning_step', content: 'thinking hard' })
  })

  it('LLM messages made of contents parts', () => {
    const { events: out } = events({
      spanId: 'o6',
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.contents.1.message_content.text': 'second',
        'llm.input_messages.0.message.contents.0.message_content.type': 'text',
        'llm.input_messages.0.message.contents.0.message_content.text': 'first',
      },
    })
    expect(out[0].content).toBe('user: first second')
  })

  it('LLM without messages falls back to input.value', () => {
    expect(events({ spanId: 'o2', attributes: { 'openinference.span.kind': 'LLM', 'input.value': 'plain prompt' } }).events[0].content).toBe('plain prompt')
  })

  it('TOOL → tool_invocation, AGENT → invoke_agent-like, CHAIN → other', () => {
    expect(
      events({ spanId: 'o3', attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'search', 'tool_call.id': 'tc1', 'input.value': '{"q":"x"}' } }).events[0],
    ).toMatchObject({ kind: 'tool_invocation', source: 'openinference', tool_name: 'search', tool_call_id: 'tc1', tool_arguments: '{"q":"x"}' })
    expect(events({ spanId: 'o4', attributes: { 'openinference.span.kind': 'AGENT', 'agent.name': 'researcher' } }).record).toMatchObject({
      invokesAgent: true,
      agentId: 'researcher',
      agentName: 'researcher',
    })
    expect(events({ spanId: 'o5', attributes: { 'openinference.span.kind': 'CHAIN' } }).events[0]).toMatchObject({ kind: 'other', source: 'openinference' })
  })
})

describe('OpenLLMetry', () => {
  it('tool spans use traceloop.entity.name and .input; agent spans name the agent', () => {
    expect(
      events({
        spanId: 't1',
        attributes: { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'send_email', 'traceloop.entity.input': '{"to":"a@b.c"}' },
      }).events[0],
    ).toMatchObject({ kind: 'tool_invocation', source: 'openllmetry', tool_name: 'send_email', tool_arguments: '{"to":"a@b.c"}' })
    expect(events({ spanId: 't2', attributes: { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'triage' } }).record).toMatchObject({
      invokesAgent: true,
      agentId: 'triage',
    })
    for (const kind of ['workflow', 'task']) {
      expect(events({ spanId: 't3', attributes: { 'traceloop.span.kind': kind } }).events[0]).toMatchObject({ kind: 'other', source: 'openllmetry' })
    }
  })

  it('LLM spans (llm.request.type) → prompt; association properties give task, session and user', () => {
    const { record, events: out } = events({
      spanId: 't4',
      attributes: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'Anthropic',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'hello',
        'traceloop.association.properties.session_id': 's-9',
        'traceloop.association.properties.user_id': 'u-9',
      },
    })
    expect(out[0]).toMatchObject({ kind: 'prompt', source: 'openllmetry', content: 'user: hello', user_id: 'u-9' })
    expect(record.fallbackTaskId).toBe('s-9')
    expect(
      events({ spanId: 't5', attributes: { 'traceloop.span.kind': 'task', 'traceloop.association.properties.agent.task.id': 'task-7' } }).record.explicitTaskId,
    ).toBe('task-7')
  })
})

describe('Vercel AI SDK', () => {
  it('ai.generateText → prompt from ai.prompt; doGenerate from ai.prompt.messages; reasoning from ai.response.reasoning', () => {
    expect(
      events({ spanId: 'v1', name: 'ai.generateText', attributes: { 'ai.operationId': 'ai.generateText', 'ai.prompt': '{"system":"be nice","prompt":"hi there"}' } })
        .events[0],
    ).toMatchObject({ kind: 'prompt', source: 'vercel_ai', content: 'system: be nice\nuser: hi there' })
    const { events: out } = events({
      spanId: 'v2',
      name: 'ai.generateText.doGenerate',
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'gen_ai.system': 'openai.chat',
        'ai.prompt.messages': JSON.stringify([{ role: 'user', content: [{ type: 'text', text: 'weather?' }] }]),
        'ai.response.reasoning': 'check the weather tool',
      },
    })
    expect(out.map((event) => [event.kind, event.content])).toEqual([
      ['prompt', 'user: weather?'],
      ['reasoning_step', 'check the weather tool'],
    ])
    expect(events({ spanId: 'v3', name: 'ai.streamText', attributes: { 'ai.prompt': 'just text' } }).events[0]).toMatchObject({ kind: 'prompt', content: 'just text' })
  })

  it('ai.toolCall → tool_invocation', () => {
    expect(
      events({ spanId: 'v4', name: 'ai.toolCall', attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.id': 'c9', 'ai.toolCall.args': '{"city":"Oslo"}' } })
        .events[0],
    ).toMatchObject({ kind: 'tool_invocation', source: 'vercel_ai', tool_name: 'weather', tool_call_id: 'c9', tool_arguments: '{"city":"Oslo"}' })
    expect(events({ spanId: 'v5', name: 'ai.embed' }).events[0]).toMatchObject({ kind: 'other', source: 'vercel_ai' })
  })
})
