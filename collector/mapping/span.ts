/**
 * One OTLP span → one SpanRecord: the span's own event (seq 0), the events derived from it
 * (reasoning parts, credential use by a tool), and one event per contract span event (seq i+1).
 */
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import type { Span } from '../otlp/model.js'
import { AttributeReader, nanosToMillis } from './attributes.js'
import { classifySpan, type SpanShape } from './classify.js'
import { GENAI_PROMPT_EVENTS, promptContent, promptEventContent, reasoningParts } from './content.js'
import { contractFields, contractKind, credentialFields } from './contract.js'
import { type Draft, finishDrafts, type ResolvedOptions, resolveTenant } from './finish.js'
import { readIdentity } from './identity.js'
import { type ScopeShared, type SpanRecord, UNTRACED_TASK } from './record.js'

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

function toolFields(reader: AttributeReader): Partial<PrivpathEvent> {
  return {
    tool_name: reader.first('gen_ai.tool.name', 'tool.name', 'ai.toolCall.name', 'traceloop.entity.name'),
    tool_call_id: reader.first('gen_ai.tool.call.id', 'tool_call.id', 'tool.id', 'ai.toolCall.id'),
    tool_arguments: reader.first('gen_ai.tool.call.arguments', 'ai.toolCall.args', 'input.value', 'traceloop.entity.input'),
    target_tenant: reader.string('target.tenant.id'),
    target_resource: reader.first('target.resource', 'server.address', 'url.full', 'db.namespace'),
  }
}

function ownFields(shape: SpanShape, reader: AttributeReader, ts: number): Partial<PrivpathEvent> {
  switch (shape.kind) {
    case 'prompt':
      return { content: promptContent(reader) }
    case 'reasoning_step':
      return { content: reader.first('agent.step.content', 'output.value') }
    case 'tool_invocation':
      return toolFields(reader)
    case 'other':
      return {}
    default:
      return contractFields(shape.kind, reader, ts)
  }
}

function unmappedSummary(names: string[]): string {
  const shown = names.slice(0, MAX_UNMAPPED_EVENT_NAMES).join(',')
  return names.length > MAX_UNMAPPED_EVENT_NAMES ? `${shown} (+${names.length - MAX_UNMAPPED_EVENT_NAMES} more)` : shown
}

export function mapSpan(span: Span, shared: ScopeShared, options: ResolvedOptions): SpanRecord {
  const reader = new AttributeReader(span.attributes)
  const identity = readIdentity(reader, shared.identity)
  const shape = classifySpan(span.name, reader)
  const startTs = nanosToMillis(span.startTimeUnixNano)
  const endTs = span.endTimeUnixNano > 0n ? nanosToMillis(span.endTimeUnixNano) : startTs
  if (shape.invokesAgent && identity.agentName === '' && shape.source === 'openllmetry') {
    identity.agentName = reader.string('traceloop.entity.name')
    identity.agentId ||= identity.agentName
  }
  const base: PrivpathEvent = {
    ...emptyEvent(),
    ts: startTs,
    observed_at: options.observedAt,
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    agent_id: identity.agentId,
    agent_name: identity.agentName,
    workload_id: identity.workloadId,
    user_id: identity.userId,
    source: shape.source,
    name: span.name,
    status: STATUS[span.status.code] ?? 'unset',
    error: spanError(span),
  }
  const own: Draft = { event: { ...base, kind: shape.kind, ...ownFields(shape, reader, startTs) }, leftovers: [] }
  const drafts: Draft[] = [own]
  const promptFromAttributes = own.event.kind === 'prompt' && own.event.content !== ''

  const parts = reasoningParts(reader)
  if (shape.kind === 'reasoning_step') {
    // A reasoning-step span is one step: output reasoning parts are its text, not further steps.
    if (own.event.content === '') own.event.content = parts.join('\n')
  } else {
    for (const part of parts) drafts.push({ event: { ...base, kind: 'reasoning_step', ts: endTs, content: part }, leftovers: [] })
  }
  if (shape.kind === 'tool_invocation' && reader.has('credential.id')) {
    drafts.push({ event: { ...base, kind: 'credential_used', source: 'privpath', ...credentialFields(reader, startTs) }, leftovers: [] })
  }
  const delegatedScopes = shape.invokesAgent ? reader.list('agent.delegation.scopes') : []

  const unmapped: string[] = []
  for (let index = 0; index < span.events.length; index++) {
    const spanEvent = span.events[index]
    const eventReader = new AttributeReader(spanEvent.attributes)
    const ts = nanosToMillis(spanEvent.timeUnixNano)
    const kind = contractKind(spanEvent.name)
    if (kind) {
      const fields = contractFields(kind, eventReader, ts)
      const event = { ...base, ts, seq: index + 1, name: spanEvent.name, kind, source: 'privpath' as const, ...fields }
      drafts.push({ event, leftovers: eventReader.remaining() })
    } else if (GENAI_PROMPT_EVENTS.has(spanEvent.name)) {
      const content = promptEventContent(spanEvent.name, eventReader, undefined)
      if (own.event.kind !== 'prompt') {
        const event = { ...base, ts, seq: index + 1, name: spanEvent.name, kind: 'prompt' as const, source: 'gen_ai' as const, content }
        drafts.push({ event, leftovers: eventReader.remaining() })
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
    tenantSettled: options.authTenant !== '' || identity.tenantClaim !== '',
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    explicitTaskId: identity.explicitTaskId,
    fallbackTaskId: identity.conversationId || span.traceId || UNTRACED_TASK,
    agentId: identity.agentId,
    agentName: identity.agentName,
    invokesAgent: shape.invokesAgent,
    delegatedScopes,
    startTs,
    endTs,
    events,
    origin: undefined,
  }
}
