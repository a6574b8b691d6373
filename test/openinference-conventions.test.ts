/**
 * OpenInference's LangChain instrumentation, exported as OTLP protobuf and run through the
 * collector's decoder, mapper and correlator: an AGENT span around an LLM call and a tool call.
 */
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain'
import * as CallbackManagerModule from '@langchain/core/callbacks/manager'
import { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { AIMessage } from '@langchain/core/messages'
import type { ChatResult } from '@langchain/core/outputs'
import { tool } from '@langchain/core/tools'
import { FakeListChatModel, FakeRetriever } from '@langchain/core/utils/testing'
import { Document } from '@langchain/core/documents'
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { beforeAll, describe, expect, it } from 'vitest'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTracesProtobuf } from '../collector/otlp/protobuf-traces.js'

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
})

function instrumented() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule)
  return { exporter, provider }
}

function mapExported(exporter: InMemorySpanExporter) {
  const body = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())
  if (body === undefined) throw new Error('no OTLP body')
  const correlator = new Correlator({ maxHeldSpans: 100, maxKnownSpans: 100 })
  const placed = correlator.add(mapTraceRequest(decodeTracesProtobuf(body).request), Date.now())
  expect(correlator.held()).toBe(0)
  return placed.flatMap((record) => record.events)
}

/** A model whose answer asks for a tool call, in the OpenAI form the instrumentation records. */
class ToolCallingModel extends BaseChatModel {
  _llmType(): string {
    return 'tool-calling-fake'
  }

  async _generate(): Promise<ChatResult> {
    const call = { id: 'call-7', type: 'function' as const, function: { name: 'send_email', arguments: '{"to":"bob@example.com"}' } }
    return { generations: [{ text: '', message: new AIMessage({ content: '', additional_kwargs: { tool_calls: [call] } }) }] }
  }
}

async function runRetrievingAgent() {
  const { exporter, provider } = instrumented()
  const retriever = new FakeRetriever({
    output: [new Document({ pageContent: 'Bob asked for the Q3 report.' }), new Document({ pageContent: 'token ghp_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5' })],
  })
  await provider.getTracer('agent').startActiveSpan('planner', { attributes: { 'openinference.span.kind': 'AGENT', 'agent.name': 'planner', 'session.id': 'sess-2' } }, async (span) => {
    await retriever.invoke('what did bob ask?')
    await new ToolCallingModel({}).invoke([{ role: 'user', content: 'answer bob' }])
    span.end()
  })
  return mapExported(exporter)
}

async function runAgent() {
  const { exporter, provider } = instrumented()
  const model = new FakeListChatModel({ responses: ['calling weather'] })
  const weather = tool(async (input: { city: string }) => `sunny in ${input.city}`, {
    name: 'weather',
    description: 'current weather',
    schema: { type: 'object', properties: { city: { type: 'string' } } } as never,
  })
  await provider
    .getTracer('agent')
    .startActiveSpan('planner', { attributes: { 'openinference.span.kind': 'AGENT', 'agent.name': 'planner', 'session.id': 'sess-1' } }, async (span) => {
      await model.invoke([
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in Oslo? my password=hunter2' },
      ])
      await weather.invoke({ city: 'Oslo' })
      span.end()
    })
  return mapExported(exporter)
}

describe('OpenInference LangChain telemetry through the collector', () => {
  it('maps the LLM call to a prompt and the tool to a tool_invocation, in the session task under the agent', async () => {
    const events = await runAgent()
    const prompt = events.filter((event) => event.kind === 'prompt')
    expect(prompt).toHaveLength(1)
    expect(prompt[0]).toMatchObject({ source: 'openinference', agent_id: 'planner', task_id: 'sess-1' })
    expect(prompt[0].content).toBe('system: be brief\nuser: weather in Oslo? my password=[REDACTED:secret_assignment]')
    expect(JSON.stringify(events)).not.toContain('hunter2')
    const tools = events.filter((event) => event.kind === 'tool_invocation')
    expect(tools).toHaveLength(1)
    expect(tools[0]).toMatchObject({ source: 'openinference', tool_name: 'weather', agent_id: 'planner', task_id: 'sess-1' })
    expect(tools[0].tool_result).toContain('sunny in Oslo')
    expect(events.filter((event) => event.kind === 'task_start').map((event) => event.name)).toEqual(['planner'])
    expect(new Set(events.map((event) => event.task_id))).toEqual(new Set(['sess-1']))
  })

  it('maps a retriever to a retrieval tool whose result is its documents, and the calls a model asks for to requested_calls', async () => {
    const events = await runRetrievingAgent()
    const tools = events.filter((event) => event.kind === 'tool_invocation')
    expect(tools).toHaveLength(1)
    expect(tools[0]).toMatchObject({ source: 'openinference', tool_name: 'FakeRetriever', task_id: 'sess-2' })
    expect(tools[0].tool_arguments).toContain('what did bob ask?')
    expect(tools[0].tool_result).toBe('Bob asked for the Q3 report.\ntoken [REDACTED:github_token]')
    const prompt = events.find((event) => event.kind === 'prompt')!
    // this instrumentation records no call id
    expect(prompt.requested_calls).toEqual([{ call_id: '', name: 'send_email', arguments: '{"to":"bob@example.com"}' }])
  })
})
