/**
 * Tool results and requested tool calls: what a tool returned (its own span's attributes, a
 * retriever's documents, or the `tool_call_response` a later chat span quotes) and the tool calls
 * a model's output asked for, so that requested and executed calls can be matched by call id.
 */
import type { RequestedCall } from '../../core/event.js'
import type { ExportTraceServiceRequest, Span } from '../otlp/index.js'
import { type AttributeReader, parseMaybeJson } from './attributes.js'
import { messageRecord, partText } from './content.js'

/** A tool span's own result attributes, most specific first. */
const RESULT_KEYS = ['gen_ai.tool.call.result', 'ai.toolCall.result', 'output.value', 'traceloop.entity.output'] as const
const CALL_ID_KEYS = ['gen_ai.tool.call.id', 'tool_call.id', 'tool.id', 'ai.toolCall.id'] as const
const RETRIEVED_CONTENT = /^retrieval\.documents\.(\d+)\.document\.content$/

export function toolResult(reader: AttributeReader): string {
  return reader.firstOf(RESULT_KEYS)
}

/** A retriever's documents, in index order, one per line; its `output.value` when it lists none. */
export function retrievedDocuments(reader: AttributeReader): string {
  const documents: Array<[number, string]> = []
  for (const key in reader.attributes) {
    const match = RETRIEVED_CONTENT.exec(key)
    if (match && Object.hasOwn(reader.attributes, key)) documents.push([Number(match[1]), reader.string(key)])
  }
  if (documents.length === 0) return toolResult(reader)
  return documents
    .sort(([a], [b]) => a - b)
    .map(([, content]) => content)
    .filter((content) => content !== '')
    .join('\n')
}

function call(id: unknown, name: unknown, args: unknown): RequestedCall {
  return { call_id: partText(id), name: partText(name), arguments: partText(args) }
}

/** `tool_call` parts of GenAI output messages (`gen_ai.output.messages`, already parsed). */
function genAiCalls(output: unknown, into: RequestedCall[]): void {
  if (!Array.isArray(output)) return
  for (const message of output) {
    const parts = messageRecord(message)?.parts
    if (!Array.isArray(parts)) continue
    for (const part of parts) {
      const p = messageRecord(part)
      if (p?.type === 'tool_call') into.push(call(p.id, p.name, p.arguments))
    }
  }
}

const OPENINFERENCE_CALL_NAME = /^llm\.output_messages\.(\d+)\.message\.tool_calls\.(\d+)\.tool_call\.function\.name$/

/** `llm.output_messages.N.message.tool_calls.M.tool_call.{id,function.name,function.arguments}`, in (N, M) order. */
function openInferenceCalls(reader: AttributeReader, into: RequestedCall[]): void {
  const found: Array<[number, number, RequestedCall]> = []
  for (const key in reader.attributes) {
    const match = OPENINFERENCE_CALL_NAME.exec(key)
    if (!match || !Object.hasOwn(reader.attributes, key)) continue
    const prefix = key.slice(0, -'function.name'.length)
    found.push([Number(match[1]), Number(match[2]), call(reader.peek(`${prefix}id`), reader.peek(key), reader.peek(`${prefix}function.arguments`))])
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  for (const [, , requested] of found) into.push(requested)
}

/** `ai.response.toolCalls`: `[{toolCallId, toolName, input}]` (`args` before AI SDK 5). */
function vercelCalls(reader: AttributeReader, into: RequestedCall[]): void {
  const calls = reader.attributes['ai.response.toolCalls']
  if (calls === undefined || !Object.hasOwn(reader.attributes, 'ai.response.toolCalls')) return
  const parsed = parseMaybeJson(calls)
  if (!Array.isArray(parsed)) return
  for (const item of parsed) {
    const c = messageRecord(item)
    if (c) into.push(call(c.toolCallId, c.toolName, c.input ?? c.args))
  }
}

/**
 * The tool calls a model span's output asked for. The attributes they come from are not marked
 * used: they stay in `attributes` as before (redacted, dropped when content capture is off).
 */
export function requestedCalls(reader: AttributeReader, output: unknown): RequestedCall[] {
  const calls: RequestedCall[] = []
  genAiCalls(output, calls)
  openInferenceCalls(reader, calls)
  vercelCalls(reader, calls)
  return calls
}

/** Results quoted in input messages, by call id: GenAI `tool_call_response` parts and Vercel `tool-result` parts. */
function collectResponses(messages: unknown, traceId: string, into: Map<string, string>): void {
  if (!Array.isArray(messages)) return
  for (const message of messages) {
    const m = messageRecord(message)
    const parts = m?.parts ?? m?.content
    if (!Array.isArray(parts)) continue
    for (const part of parts) {
      const p = messageRecord(part)
      if (!p) continue
      const id = p.type === 'tool_call_response' ? p.id : p.type === 'tool-result' ? p.toolCallId : undefined
      if (id === undefined) continue
      const key = responseKey(traceId, partText(id))
      if (!into.has(key)) into.set(key, partText(p.response ?? p.result ?? p.output))
    }
  }
}

export const responseKey = (traceId: string, callId: string): string => `${traceId} ${callId}`

/** A tool span with a call id and no result of its own: a later chat span may quote its result. */
function awaitsResponse(span: Span): boolean {
  const attributes = span.attributes
  return CALL_ID_KEYS.some((key) => Object.hasOwn(attributes, key)) && !RESULT_KEYS.some((key) => Object.hasOwn(attributes, key))
}

function* spansOf(request: ExportTraceServiceRequest): Generator<Span> {
  for (const resourceSpans of request.resourceSpans) for (const scopeSpans of resourceSpans.scopeSpans) yield* scopeSpans.spans
}

/**
 * Results of tool calls whose spans carry none, from the input messages of the chat spans of the
 * same trace in the same export request (keyed by responseKey). Input messages are parsed a second
 * time only when some tool span of the request lacks its result.
 */
export function quotedResponses(request: ExportTraceServiceRequest): ReadonlyMap<string, string> | undefined {
  const traces = new Set<string>()
  for (const span of spansOf(request)) if (awaitsResponse(span)) traces.add(span.traceId)
  if (traces.size === 0) return undefined
  const responses = new Map<string, string>()
  for (const span of spansOf(request)) {
    if (!traces.has(span.traceId)) continue
    for (const key of ['gen_ai.input.messages', 'ai.prompt.messages']) {
      const value = span.attributes[key]
      if (value !== undefined && Object.hasOwn(span.attributes, key)) collectResponses(parseMaybeJson(value), span.traceId, responses)
    }
  }
  return responses
}
