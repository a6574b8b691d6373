/**
 * Trajectories as OTel GenAI spans through the real SDK (BasicTracerProvider, in-memory exporter,
 * OTLP protobuf serializer): an `invoke_agent` root per task, a `chat` span per model turn with
 * its input and output messages (GenAI parts, `tool_call` / `tool_call_response`), and an
 * `execute_tool` span per call with its arguments and result. Ids come from a seeded generator
 * and times from the task's index, so the same corpus gives the same bytes.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base'
import type { Trajectory } from './model.js'
import { Rng } from './random.js'

/** 2024-06-01T00:00:00Z: the first task's start; each next task starts TASK_SPACING_MS later. */
const CORPUS_EPOCH_MS = Date.UTC(2024, 5, 1)
const TASK_SPACING_MS = 120_000

interface CorpusRequest {
  trajectory: Trajectory
  /** One OTLP/protobuf ExportTraceServiceRequest holding every span of the task. */
  body: Uint8Array
  /** When a collector would have received it: just after the task's last span. */
  observedAt: number
}

function seededIds(rng: Rng): IdGenerator {
  return { generateTraceId: () => rng.hex(32), generateSpanId: () => rng.hex(16) }
}

type Message = { role: string; parts: Array<Record<string, unknown>>; finish_reason?: string }

function emit(tracer: Tracer, t: Trajectory, t0: number, rng: Rng): number {
  let clock = t0
  const tick = (min: number, max: number) => new Date((clock += rng.int(min, max)))
  const root = tracer.startSpan(`invoke_agent ${t.agent}`, {
    kind: SpanKind.INTERNAL,
    startTime: new Date(clock),
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': t.agent, 'gen_ai.agent.id': t.agent, 'gen_ai.conversation.id': t.id, 'gen_ai.request.model': t.model },
  })
  const parent = trace.setSpan(ROOT_CONTEXT, root)
  const child = (name: string, attributes: Record<string, string>, start: Date): Span => tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: start, attributes }, parent)
  const history: Message[] = [{ role: 'user', parts: [{ type: 'text', content: t.request }] }]
  for (const turn of t.turns) {
    const output: Message =
      turn.calls.length > 0
        ? { role: 'assistant', parts: turn.calls.map((c) => ({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments })), finish_reason: 'tool_call' }
        : { role: 'assistant', parts: [{ type: 'text', content: turn.text }], finish_reason: 'stop' }
    const chat = child(`chat ${t.model}`, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': t.model,
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: t.system }]),
      'gen_ai.input.messages': JSON.stringify(history),
      'gen_ai.output.messages': JSON.stringify([output]),
    }, tick(5, 20))
    chat.end(tick(400, 2_500))
    history.push({ role: output.role, parts: output.parts })
    for (const c of turn.calls) {
      const tool = child(`execute_tool ${c.name}`, {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': c.name,
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.id': c.id,
        'gen_ai.tool.call.arguments': JSON.stringify(c.arguments),
        'gen_ai.tool.call.result': c.result,
      }, tick(2, 10))
      tool.end(tick(20, 600))
      history.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: c.id, response: c.result }] })
    }
  }
  root.end(tick(5, 20))
  return clock
}

/** The OTLP request of each trajectory, in corpus order. */
export function corpusRequests(trajectories: Trajectory[], seed = 20): CorpusRequest[] {
  const rng = new Rng(seed ^ 0x5eed)
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'corpus-agents' }),
    idGenerator: seededIds(rng),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  })
  const tracer = provider.getTracer('privpath-corpus')
  return trajectories.map((trajectory, index) => {
    memory.reset()
    const end = emit(tracer, trajectory, CORPUS_EPOCH_MS + index * TASK_SPACING_MS, rng)
    const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())
    if (body === undefined) throw new Error(`trajectory ${trajectory.id}: the OTLP serializer returned no body`)
    return { trajectory, body, observedAt: end + 1_000 }
  })
}
