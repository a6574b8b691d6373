/**
 * One MCP tools/call is one tool invocation: its client span alone, its server span alone, or
 * both — in one export request or two, in either order — go through mapping, correlation and the
 * bus messages into the detector (which must count one) and the store (which must return one).
 */
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getTask } from '../api/queries/index.js'
import { validateConfig } from '../core/config/load.js'
import type { PrivpathEvent } from '../core/event.js'
import { eventMessages } from '../collector/publish/messages.js'
import { createPipelineStages } from '../collector/stages.js'
import type { Attributes } from '../collector/otlp/index.js'
import { engineWith, rulesFrom } from '../testkit/detector.js'
import { span, traceRequest, type SpanInit } from '../testkit/otlp-builders.js'
import { DB, insertEvents, openTestStore, type TestStore } from '../testkit/store.js'

const T0 = Date.now() - 60_000
const CLIENT = 3
const SERVER = 2

// Judged tool invocations per task (one alert per task, its count rising), and the task's
// tool_count as a later chat span sees it.
const RULES = rulesFrom(`
- id: judged-tool-calls
  title: judged tool calls
  description: every judged tool invocation
  severity: info
  status: test
  on: [tool_invocation]
  summary: '"tool " & event.tool_name'
  dedup: { key: event.task_id, window: 1h }
- id: tool-count
  title: tool count
  description: the task's tool_count before a prompt
  severity: info
  status: test
  on: [prompt]
  summary: '"tool_count " & $string(task.tool_count)'
  dedup: { key: event.event_id, window: 1h }
`)

const invocation = (extra: Attributes): Attributes => ({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather', 'jsonrpc.request.id': '3', ...extra })

interface Spans {
  root: SpanInit
  client: SpanInit
  server: SpanInit
  chat: SpanInit
}

function spansOf(trace: string): Spans {
  const at = (ms: number) => ({ traceId: trace, startMs: T0 + ms, endMs: T0 + ms + 10 })
  return {
    root: { ...at(0), spanId: 'a000000000000001', name: 'invoke_agent planner', endMs: T0 + 1_000, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'planner' } },
    client: { ...at(10), spanId: 'c000000000000001', parentSpanId: 'a000000000000001', kind: CLIENT, name: 'tools/call get_weather', attributes: invocation({ 'server.address': 'weather.internal', 'server.port': 8080, 'gen_ai.tool.call.arguments': '{"city":"Paris"}' }) },
    server: { ...at(12), spanId: '5000000000000001', parentSpanId: 'c000000000000001', kind: SERVER, name: 'tools/call get_weather', attributes: invocation({ 'gen_ai.tool.call.result': 'sunny' }) },
    chat: { ...at(500), spanId: 'b000000000000001', parentSpanId: 'a000000000000001', name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': '[]' } },
  }
}

/** Export requests as agents send them: the agent's spans (service `agent`), the MCP server's (service `weather-mcp`). */
type Request = Array<{ service: string; spans: SpanInit[] }>

async function run(requests: Request[]) {
  const stages = createPipelineStages(validateConfig({}), new Registry())
  const engine = engineWith(RULES)
  const published: Array<{ key: string; value: PrivpathEvent }> = []
  const alerts = new Map<string, { rule_id: string; count: number; summary: string }>()
  for (const [index, request] of requests.entries()) {
    const observedAt = T0 + 2_000 + index
    const body = { resourceSpans: request.flatMap(({ service, spans }) => traceRequest(spans.map(span), { 'service.name': service }).resourceSpans) }
    const records = stages.map('traces', body, { authTenant: '', observedAt })
    const messages = eventMessages(stages.correlator.add(records, observedAt)).events
    published.push(...messages)
    for (const alert of await engine.processBatch(messages.map((m) => m.value))) alerts.set(alert.alert_id, alert)
  }
  const judged = [...alerts.values()].filter((a) => a.rule_id === 'judged-tool-calls')
  const counted = [...alerts.values()].filter((a) => a.rule_id === 'tool-count').map((a) => a.summary)
  return { published, judged: judged.reduce((n, a) => n + a.count, 0), counted }
}

let store: TestStore
beforeAll(async () => {
  store = await openTestStore('privpath-mcp-')
})
afterAll(async () => {
  await store.destroy()
})

let traceNo = 0
const nextTrace = () => `${(++traceNo).toString(16).padStart(8, '0')}aaaabbbbccccddddeeeeffff`

const agent = (...spans: SpanInit[]) => ({ service: 'agent', spans })
const mcp = (...spans: SpanInit[]) => ({ service: 'weather-mcp', spans })

const CASES: Array<[string, (s: Spans) => Request[]]> = [
  ['the client span alone', (s) => [[agent(s.client, s.root)], [agent(s.chat)]]],
  ['the server span alone (an uninstrumented client)', (s) => [[agent(s.root)], [mcp({ ...s.server, parentSpanId: s.root.spanId })], [agent(s.chat)]]],
  ['both, in one request', (s) => [[mcp(s.server), agent(s.client, s.root)], [agent(s.chat)]]],
  ['both, client first, in two requests', (s) => [[agent(s.client, s.root)], [mcp(s.server)], [agent(s.chat)]]],
  ['both, server first, in two requests', (s) => [[mcp(s.server)], [agent(s.client, s.root)], [agent(s.chat)]]],
]

describe('one MCP tools/call is one tool invocation', () => {
  for (const [name, requests] of CASES) {
    it(`${name}: the detector judges and counts one, the store returns one`, async () => {
      const trace = nextTrace()
      const { published, judged, counted } = await run(requests(spansOf(trace)))
      const calls = published.filter((m) => m.value.kind === 'tool_invocation')
      expect(new Set(calls.map((m) => m.value.event_id)).size).toBe(1)
      // keyed by task: every copy lands on the partition of the same detector
      expect(new Set(calls.map((m) => m.key))).toEqual(new Set([trace]))
      expect(judged).toBe(1)
      expect(counted).toEqual(['tool_count 1'])

      await insertEvents(store.client, published.map((m) => m.value))
      const detail = await getTask(store.client, DB, trace, { tenant: '*' })
      const stored = detail!.events.filter((event) => event.kind === 'tool_invocation')
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ tool_name: 'get_weather', agent_id: 'planner' })
      expect(detail!.task.counts.tool_invocation).toBe(1)
    })
  }

  it('two calls of the tool (two request ids) stay two', async () => {
    const trace = nextTrace()
    const s = spansOf(trace)
    const second = { ...s.client, spanId: 'c000000000000002', startMs: T0 + 100, attributes: { ...s.client.attributes, 'jsonrpc.request.id': '4' } }
    const { judged, counted } = await run([[agent(s.client, second, s.root)], [mcp(s.server)], [agent(s.chat)]])
    expect(judged).toBe(2)
    expect(counted).toEqual(['tool_count 2'])
  })
})
