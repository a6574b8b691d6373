/**
 * One OTLP span → one SpanRecord: the span's own event (seq 0), the events derived from it
 * (reasoning parts, credential use by a tool), and one event per contract span event (seq i+1).
 */
import { emptyEvent, sharedInvocationId, type PrivpathEvent } from '../../core/event.js'
import type { Span } from '../otlp/index.js'
import { AttributeReader, nanosToMillis } from './attributes.js'
import { classifySpan, type SpanShape } from './classify.js'
import { RecordClock } from './clock.js'
import { GENAI_PROMPT_EVENTS, genAiOutput, messagesText, promptContent, promptEventContent, reasoningParts } from './content.js'
import { contractKind, setContractFields, setCredentialFields } from './contract.js'
import { deriveEvent, type Draft, finishDrafts, type ResolvedOptions, resolveTenant } from './finish.js'
import { GUARDRAIL_VERDICT_ATTRIBUTE, guardrailVerdict } from './guardrail.js'
import { readIdentity, stampIdentity } from './identity.js'
import { invocationKey, mcpServer, mcpToolName, toolDefinitions } from './mcp.js'
import { type ScopeShared, type SpanRecord, UNTRACED_TASK } from './record.js'
import { requestedCalls, responseKey, retrievedDocuments, toolResult } from './tool-calls.js'

const STATUS: Record<number, PrivpathEvent['status']> = { 0: 'unset', 1: 'ok', 2: 'error' }
const MAX_UNMAPPED_EVENT_NAMES = 16
/** Span events folded into other fields rather than listed as unmapped. */
const FOLDED_EVENTS = new Set(['exception'])

function spanError(span: Span): string {
  if (span.status.code === 2 && span.status.message !== '') return span.status.message
  const exception = span.events.find((event) => event.name === 'exception')
  if (exception) {
    const reader = new AttributeReader(exception.attributes)
    const text = [reader.string('exception.type'), reader.string('exception.message')].filter((part) => part !== '').join(': ')
    if (text !== '') return text
  }
  return span.status.code === 2 ? 'error' : ''
}

/** Results of calls whose tool span carries none, quoted by chat spans of the same request (tool-calls.ts quotedResponses). */
type QuotedResponses = ReadonlyMap<string, string> | undefined

/** A call of a tool that brings outside content (a retriever, a GenAI retrieval or `datastore` tool): its documents are the result. */
function isRetrieval(reader: AttributeReader): boolean {
  return reader.peek('openinference.span.kind').toUpperCase() === 'RETRIEVER' || reader.peek('gen_ai.operation.name') === 'retrieval' || reader.peek('gen_ai.tool.type') === 'datastore'
}

function setToolFields(event: PrivpathEvent, reader: AttributeReader, responses: QuotedResponses, shape: SpanShape): void {
  event.tool_name = reader.first('gen_ai.tool.name', 'tool.name', 'ai.toolCall.name', 'traceloop.entity.name')
  event.tool_call_id = reader.first('gen_ai.tool.call.id', 'tool_call.id', 'tool.id', 'ai.toolCall.id')
  event.tool_arguments = reader.first('gen_ai.tool.call.arguments', 'ai.toolCall.args', 'input.value', 'traceloop.entity.input')
  if (isRetrieval(reader)) {
    event.tool_name ||= event.name || 'retrieval'
    event.tool_result = retrievedDocuments(reader)
  } else {
    event.tool_result = toolResult(reader)
  }
  event.tool_name ||= shape.memoryTool
  if (event.tool_result === '' && event.tool_call_id !== '' && responses) {
    event.tool_result = responses.get(responseKey(event.trace_id, event.tool_call_id)) ?? ''
  }
  event.target_tenant = reader.string('target.tenant.id')
  event.target_resource = reader.first('target.resource', 'server.address', 'url.full', 'db.namespace', 'gen_ai.data_source.id')
}

/** The span's own draft, with what only some spans carry: a shared id, pinned attributes, offered tools. */
interface OwnSpan {
  draft: Draft
  span: Span
  shape: SpanShape
  serviceName: string
}

/** An MCP span names its server as its target; one `tools/call` gets the id its client and server spans share. */
function setMcpFields(own: OwnSpan, reader: AttributeReader): void {
  const { draft, span, shape } = own
  const event = draft.event
  const server = mcpServer(reader, span.kind, own.serviceName)
  if (server !== '') event.target_resource = server
  reader.consume('mcp.method.name')
  const pinned = (draft.pinned ??= [])
  pinned.push(['mcp.method.name', shape.mcp])
  const requestId = reader.string('jsonrpc.request.id')
  if (requestId !== '') pinned.push(['jsonrpc.request.id', requestId])
  if (event.kind !== 'tool_invocation') return
  event.tool_name ||= mcpToolName(reader, span.name)
  const key = invocationKey(requestId, event.tool_name)
  if (key !== '') draft.eventId = sharedInvocationId(span.traceId, key)
}

function setOwnFields(own: OwnSpan, reader: AttributeReader, ts: number, responses: QuotedResponses): void {
  const event = own.draft.event
  switch (event.kind) {
    case 'prompt':
      event.content = promptContent(reader)
      break
    case 'reasoning_step':
      event.content = reader.first('agent.step.content', 'output.value')
      break
    case 'tool_invocation': {
      setToolFields(event, reader, responses, own.shape)
      // the detector reads it (a datastore's result is untrusted output)
      const toolType = reader.string('gen_ai.tool.type')
      if (toolType !== '') (own.draft.pinned ??= []).push(['gen_ai.tool.type', toolType])
      break
    }
    case 'guardrail': {
      const verdict = guardrailVerdict(reader)
      if (verdict !== '') (own.draft.pinned ??= []).push([GUARDRAIL_VERDICT_ATTRIBUTE, verdict])
      break
    }
    case 'other':
      break
    default:
      setContractFields(event, reader, ts)
  }
  if (own.shape.mcp !== '') setMcpFields(own, reader)
}

/** A span's clock, from the times its events take: start, end and the span events that become events. */
function spanClock(span: Span, startTs: number, endTs: number, options: ResolvedOptions): RecordClock {
  const times = [startTs, endTs]
  for (const event of span.events) {
    if (contractKind(event.name) !== undefined || GENAI_PROMPT_EVENTS.has(event.name)) times.push(nanosToMillis(event.timeUnixNano))
  }
  return new RecordClock(options, times)
}

function unmappedSummary(names: string[]): string {
  const shown = names.slice(0, MAX_UNMAPPED_EVENT_NAMES).join(',')
  return names.length > MAX_UNMAPPED_EVENT_NAMES ? `${shown} (+${names.length - MAX_UNMAPPED_EVENT_NAMES} more)` : shown
}

export function mapSpan(span: Span, shared: ScopeShared, options: ResolvedOptions, responses?: QuotedResponses): SpanRecord {
  const reader = new AttributeReader(span.attributes)
  const identity = readIdentity(reader, shared.identity)
  const shape = classifySpan(span.name, reader)
  const endNanos = span.endTimeUnixNano > 0n ? span.endTimeUnixNano : span.startTimeUnixNano
  const clock = spanClock(span, nanosToMillis(span.startTimeUnixNano), nanosToMillis(endNanos), options)
  const start = clock.at(span.startTimeUnixNano)
  const end = clock.at(endNanos)
  if (shape.invokesAgent && identity.agentName === '') {
    // OpenLLMetry names its agent spans' agent here; a GenAI invoke_workflow without an agent name names its workflow
    identity.agentName = shape.source === 'openllmetry' ? reader.string('traceloop.entity.name') : reader.string('gen_ai.workflow.name')
    identity.agentId ||= identity.agentName
  }
  const base = emptyEvent()
  base.kind = shape.kind
  base.source = shape.source
  base.ts = start.ts
  base.observed_at = options.observedAt
  stampIdentity(base, span.traceId, span.spanId, identity)
  base.parent_span_id = span.parentSpanId
  base.name = span.name
  base.status = STATUS[span.status.code] ?? 'unset'
  base.error = spanError(span)
  const own: Draft = { event: { ...base }, leftovers: [], originalTs: start.original }
  setOwnFields({ draft: own, span, shape, serviceName: shared.serviceName }, reader, start.ts, responses)
  const definitions = toolDefinitions(reader, options.captureContent)
  if (definitions.length > 0) own.definitions = definitions
  const drafts: Draft[] = [own]
  const promptFromAttributes = own.event.kind === 'prompt' && own.event.content !== ''

  const output = genAiOutput(reader)
  const parts = reasoningParts(reader, output)
  if (shape.kind === 'prompt' || shape.kind === 'reasoning_step') own.event.requested_calls = requestedCalls(reader, output)
  if (shape.kind === 'reasoning_step') {
    // A reasoning-step span is one step: output reasoning parts are its text, not further steps;
    // a GenAI `plan` span's plan is its output's text.
    if (own.event.content === '') own.event.content = parts.join('\n')
    if (own.event.content === '' && shape.source === 'gen_ai') own.event.content = messagesText(output)
  } else {
    for (const part of parts) {
      const event = deriveEvent(base, 'reasoning_step', shape.source, end.ts)
      event.content = part
      drafts.push({ event, leftovers: [], originalTs: end.original })
    }
  }
  if (shape.kind === 'tool_invocation' && reader.has('credential.id')) {
    const event = deriveEvent(base, 'credential_used', 'privpath', start.ts)
    setCredentialFields(event, reader, start.ts)
    drafts.push({ event, leftovers: [], originalTs: start.original })
  }
  const delegatedScopes = shape.invokesAgent ? reader.list('agent.delegation.scopes') : []

  const unmapped: string[] = []
  for (let index = 0; index < span.events.length; index++) {
    const spanEvent = span.events[index]
    const eventReader = new AttributeReader(spanEvent.attributes)
    const kind = contractKind(spanEvent.name)
    if (kind) {
      const time = clock.at(spanEvent.timeUnixNano)
      const event = deriveEvent(base, kind, 'privpath', time.ts)
      event.seq = index + 1
      event.name = spanEvent.name
      setContractFields(event, eventReader, time.ts)
      drafts.push({ event, leftovers: eventReader.remaining(), originalTs: time.original })
    } else if (GENAI_PROMPT_EVENTS.has(spanEvent.name)) {
      const content = promptEventContent(spanEvent.name, eventReader, undefined)
      if (own.event.kind !== 'prompt') {
        const time = clock.at(spanEvent.timeUnixNano)
        const event = deriveEvent(base, 'prompt', 'gen_ai', time.ts)
        event.seq = index + 1
        event.name = spanEvent.name
        event.content = content
        drafts.push({ event, leftovers: eventReader.remaining(), originalTs: time.original })
      } else if (!promptFromAttributes && content !== '') {
        own.event.content = own.event.content === '' ? content : `${own.event.content}\n${content}`
      }
    } else if (!FOLDED_EVENTS.has(spanEvent.name)) {
      unmapped.push(spanEvent.name)
    }
  }

  own.leftovers = reader.remaining()
  if (unmapped.length > 0) own.leftovers.push(['otel.span_events.unmapped', unmappedSummary(unmapped)])

  const tenancy = resolveTenant(options.authTenant, identity.tenantClaim)
  const events = finishDrafts(drafts, { tenancy, idSpanId: span.spanId, context: shared.context }, options)
  return {
    signal: 'span',
    tenantId: tenancy.tenantId,
    authTenant: options.authTenant,
    tenantSettled: tenancy.settled,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    explicitTaskId: identity.explicitTaskId,
    fallbackTaskId: identity.conversationId || span.traceId || UNTRACED_TASK,
    agentId: identity.agentId,
    agentName: identity.agentName,
    invokesAgent: shape.invokesAgent,
    delegatedScopes,
    startTs: start.ts,
    endTs: end.ts,
    startOriginal: start.original,
    endOriginal: end.original,
    events,
    origin: undefined,
  }
}
