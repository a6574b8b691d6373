/**
 * The Vercel AI SDK's own telemetry, exported as OTLP protobuf and run through the collector's
 * decoder, mapper and correlator: prompts, the reasoning it reports, and its tool call.
 */
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { generateText, jsonSchema, stepCountIs, tool } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { beforeAll, describe, expect, it } from 'vitest'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTracesProtobuf } from '../collector/otlp/protobuf-traces.js'

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
})

const usage = { inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 2, text: 2, reasoning: 0 } }

async function runAgent() {
  const exporter = new InMemorySpanExporter()
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('vercel')
  let call = 0
  const model = new MockLanguageModelV3({
    doGenerate: async () =>
      (call++ === 0
        ? {
            content: [
              { type: 'reasoning', text: 'I need the weather tool' },
              { type: 'tool-call', toolCallId: 'tc-1', toolName: 'weather', input: '{"city":"Oslo","api_key":"sk-live-should-not-leak"}' },
            ],
            finishReason: { unified: 'tool-calls', raw: undefined },
            usage,
            warnings: [],
          }
        : { content: [{ type: 'text', text: 'sunny' }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] }) as never,
  })
  await generateText({
    model,
    system: 'be brief',
    prompt: 'weather in Oslo?',
    stopWhen: stepCountIs(3),
    tools: { weather: tool({ inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }), execute: async () => 'sunny' }) },
    experimental_telemetry: { isEnabled: true, tracer, metadata: { 'agent.task.id': 'task-vercel' } },
  })
  const body = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())
  if (body === undefined) throw new Error('no OTLP body')
  const records = mapTraceRequest(decodeTracesProtobuf(body).request, { authTenant: 'acme' })
  const correlator = new Correlator({ maxHeldSpans: 100, maxKnownSpans: 100 })
  const placed = correlator.add(records, Date.now())
  expect(correlator.held()).toBe(0)
  return placed.flatMap((record) => record.events)
}

describe('Vercel AI SDK telemetry through the collector', () => {
  it('maps generateText, its steps, reasoning and tool call into one task', async () => {
    const events = await runAgent()
    const of = (kind: string) => events.filter((event) => event.kind === kind)
    expect(of('prompt').map((event) => event.name).sort()).toEqual(['ai.generateText', 'ai.generateText.doGenerate', 'ai.generateText.doGenerate'])
    expect(of('prompt').find((event) => event.name === 'ai.generateText')!.content).toBe('system: be brief\nuser: weather in Oslo?')
    expect(of('reasoning_step').map((event) => event.content)).toEqual(['I need the weather tool'])
    expect(of('tool_invocation')).toHaveLength(1)
    expect(of('tool_invocation')[0]).toMatchObject({ source: 'vercel_ai', tool_name: 'weather', tool_call_id: 'tc-1' })
    expect(of('tool_invocation')[0].tool_arguments).toContain('"city":"Oslo"')
    expect(of('tool_invocation')[0].tool_result).toBe('"sunny"')
    const requested = of('prompt').flatMap((event) => event.requested_calls)
    expect(requested.map(({ call_id, name }) => ({ call_id, name }))).toEqual([{ call_id: 'tc-1', name: 'weather' }])
    expect(requested[0].arguments).toContain('"city":"Oslo"')
    expect(JSON.stringify(events)).not.toContain('sk-live-should-not-leak')
    const root = events.find((event) => event.name === 'ai.generateText' && event.kind === 'prompt')!
    expect(events.filter((event) => event.name !== 'ai.generateText').every((event) => event.parent_span_id !== '')).toBe(true)
    expect(of('task_start')).toHaveLength(1)
    expect(of('task_start')[0].span_id).toBe(root.span_id)
    expect(new Set(events.map((event) => event.task_id))).toEqual(new Set(['task-vercel']))
    expect(new Set(events.map((event) => event.tenant_id))).toEqual(new Set(['acme']))
  })
})
