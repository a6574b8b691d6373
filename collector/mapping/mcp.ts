/**
 * MCP spans (the MCP semantic conventions of OTel GenAI) and the tools offered to a model
 * (`gen_ai.tool.definitions`, OpenInference `llm.tools`): which MCP method a span is, which MCP
 * server it talks to, the identity one `tools/call` shares between its client and its server
 * span, and a digest (name, hash, definition) of each tool definition for the detector's tool
 * inventory (detector/state/first-seen.ts).
 */
import { createHash } from 'node:crypto'
import { isSharedInvocation, type PrivpathEvent } from '../../core/event.js'
import type { AnyValue } from '../otlp/index.js'
import { type AttributeReader, indexedEntries, parseMaybeJson } from './attributes.js'
import { messageRecord, partText } from './content.js'
import type { SpanRecord } from './record.js'

/** OTLP SpanKind SERVER: the MCP server's own span. */
const SPAN_KIND_SERVER = 2
/** Tools listed per event beyond which the rest are dropped (an agent offers a few dozen at most). */
const MAX_DEFINITIONS = 64
/** A definition longer than this is kept cut (its hash is of the whole definition). */
export const MAX_DEFINITION_CHARS = 512
/** Where the digest of the tools a span offers travels, on its own event's attributes. */
export const TOOL_DEFINITIONS_ATTRIBUTE = 'privpath.tool_definitions'

export interface ToolDefinition {
  name: string
  /** SHA-256 (first 128 bits, hex) of the definition with its keys sorted: whitespace and key order do not change it. */
  hash: string
  /** The definition as canonical JSON, redacted and cut to MAX_DEFINITION_CHARS by the mapper's last step; '' when content capture is off. */
  definition: string
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32)

/**
 * The MCP server a span talks to: `server.address[:server.port]` as the client sees it; on the
 * server's own span (kind SERVER), which usually names no server address, the server's name (its
 * `service.name`). '' when neither is known (a client over stdio records no address).
 */
export function mcpServer(reader: AttributeReader, spanKind: number, serviceName: string): string {
  const address = reader.string('server.address')
  const port = reader.string('server.port')
  if (address !== '') return port !== '' ? `${address}:${port}` : address
  return spanKind === SPAN_KIND_SERVER ? serviceName : ''
}

/** The tool a `tools/call` span calls: `gen_ai.tool.name`, else the span name's target (`tools/call {tool}`). */
export function mcpToolName(reader: AttributeReader, spanName: string): string {
  const named = reader.string('gen_ai.tool.name')
  if (named !== '') return named
  return spanName.startsWith('tools/call ') ? spanName.slice('tools/call '.length).trim() : ''
}

/**
 * What the client and the server span of one `tools/call` both carry: the JSON-RPC request id
 * and the tool name (the trace id is part of the event id already). '' without a request id:
 * the span is then its own invocation. `mcp.session.id` is deliberately not part of it (the
 * 2026 protocol revision has no sessions).
 */
export function invocationKey(requestId: string, toolName: string): string {
  return requestId === '' ? '' : sha(`${requestId}\u0000${toolName}`)
}

/** JSON with object keys sorted at every level, so equal definitions hash equal however they were written. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const record = messageRecord(value)
  if (record) {
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

function digest(item: unknown, captureContent: boolean): ToolDefinition | undefined {
  const definition = messageRecord(item)
  if (!definition) return undefined
  // GenAI `{type, name, description, parameters}`; OpenAI-style `{type: "function", function: {name, ...}}`
  const name = partText(definition.name ?? messageRecord(definition.function)?.name).trim()
  if (name === '') return undefined
  const text = canonical(definition)
  return { name, hash: sha(text), definition: captureContent ? text : '' }
}

function digests(list: unknown, captureContent: boolean, into: ToolDefinition[]): void {
  if (!Array.isArray(list)) return
  for (const item of list) {
    if (into.length >= MAX_DEFINITIONS) return
    const found = digest(typeof item === 'string' ? parseMaybeJson(item) : item, captureContent)
    if (found) into.push(found)
  }
}

/**
 * The tools a span offers: `gen_ai.tool.definitions` (JSON string or structure; on chat,
 * invoke_agent and MCP `tools/list` spans) and OpenInference `llm.tools.N.tool.json_schema`.
 * Both are read (marked used): the digest replaces them on the event.
 */
export function toolDefinitions(reader: AttributeReader, captureContent: boolean): ToolDefinition[] {
  const out: ToolDefinition[] = []
  const genAi: AnyValue | undefined = reader.value('gen_ai.tool.definitions')
  if (genAi !== undefined) digests(parseMaybeJson(genAi), captureContent, out)
  // the prefix scan walks every attribute: only for spans that list tools this way
  if (reader.has('llm.tools.0.tool.json_schema')) digests(indexedEntries(reader, 'llm.tools').map((entry) => entry['tool.json_schema']), captureContent, out)
  return out
}

/** What one side of a tools/call may carry and the other not; `ts` so both rows of the store are one. */
const MERGED = ['ts', 'tool_call_id', 'tool_arguments', 'tool_result', 'target_resource'] as const

/** The client's copy first: the one the other's span is a child of, else by span id. */
function clientFirst(a: PrivpathEvent, b: PrivpathEvent): number {
  if (b.parent_span_id === a.span_id) return -1
  if (a.parent_span_id === b.span_id) return 1
  return a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0
}

function merge(copies: PrivpathEvent[]): void {
  copies.sort(clientFirst)
  for (const field of MERGED) {
    const from = copies.find((copy) => copy[field] !== '') ?? copies[0]
    for (const copy of copies) (copy as Record<typeof field, unknown>)[field] = from[field]
  }
  const flags = [...new Set(copies.flatMap((copy) => copy.flags))]
  for (const copy of copies) copy.flags = flags.slice()
}

/**
 * The client and server spans of one tools/call exported in one request (an in-process MCP
 * server): each copy gets what either carries, the client's value first, so the two rows the
 * store gets are equal and the detector judges the whole call whichever copy it sees first.
 * Spans in different requests are not merged here (see docs/conventions.md, MCP).
 */
export function mergeSharedInvocations(records: readonly SpanRecord[]): void {
  let groups: Map<string, PrivpathEvent[]> | undefined
  for (const record of records) {
    const own = record.events[0]
    if (own === undefined || !isSharedInvocation(own)) continue
    groups ??= new Map()
    const group = groups.get(own.event_id)
    if (group) group.push(own)
    else groups.set(own.event_id, [own])
  }
  if (groups) for (const copies of groups.values()) if (copies.length > 1) merge(copies)
}
