/**
 * One OTLP log record → one SpanRecord (signal 'log') attached to the span it was emitted in.
 * Records named like a contract span event map the same way; GenAI content events become prompts
 * (and reasoning steps); anything else is kept as kind `other` with its body.
 */
import { createHash } from 'node:crypto'
import { emptyEvent, type EventKind, type EventSource, type PrivpathEvent } from '../../core/event.js'
import type { LogRecord } from '../otlp/index.js'
import { AttributeReader, stringify } from './attributes.js'
import { boundedTime } from './clock.js'
import { GENAI_PROMPT_EVENTS, genAiOutput, promptContent, promptEventContent, reasoningParts } from './content.js'
import { contractKind, setContractFields } from './contract.js'
import { deriveEvent, type Draft, finishDrafts, type ResolvedOptions, resolveTenant } from './finish.js'
import { readIdentity, stampIdentity } from './identity.js'
import { type ScopeShared, type SpanRecord, UNTRACED_TASK } from './record.js'
import { requestedCalls } from './tool-calls.js'

/** OTel severity numbers 17–24 are ERROR and FATAL. */
const SEVERITY_ERROR = 17
const INFERENCE_DETAILS = 'gen_ai.client.inference.operation.details'

/**
 * Log records have no span id of their own; this keeps ids deterministic and distinct per record.
 * 128 bits of the hash: senders choose what is hashed, and fewer bits would let one make two of
 * its records collide.
 */
function logIdentity(record: LogRecord, eventName: string): string {
  const digest = createHash('sha256')
    .update(`${record.timeUnixNano}\u0000${eventName}\u0000${stringify(record.attributes)}\u0000${stringify(record.body)}`)
    .digest('hex')
    .slice(0, 32)
  return `${record.spanId}/log/${digest}`
}

export function mapLogRecord(record: LogRecord, shared: ScopeShared, options: ResolvedOptions): SpanRecord {
  const reader = new AttributeReader(record.attributes)
  const eventName = record.eventName || reader.string('event.name')
  reader.consume('event.name')
  const identity = readIdentity(reader, shared.identity)
  const sent = record.timeUnixNano > 0n ? record.timeUnixNano : record.observedTimeUnixNano
  const { ts, original } = sent > 0n ? boundedTime(options, sent) : { ts: options.observedAt, original: '' }
  const isError = record.severityNumber >= SEVERITY_ERROR
  const base = emptyEvent()
  base.ts = ts
  base.observed_at = options.observedAt
  stampIdentity(base, record.traceId, record.spanId, identity)
  base.name = eventName || 'log'
  base.status = isError ? 'error' : 'unset'
  base.error = isError ? record.severityText || 'error' : ''
  const drafts: Draft[] = []
  const draft = (kind: EventKind, source: EventSource): PrivpathEvent => {
    const event = deriveEvent(base, kind, source, ts)
    drafts.push({ event, leftovers: [], originalTs: original })
    return event
  }
  const kind = contractKind(eventName)
  if (kind) {
    setContractFields(draft(kind, 'privpath'), reader, ts)
  } else if (GENAI_PROMPT_EVENTS.has(eventName)) {
    draft('prompt', 'gen_ai').content = promptEventContent(eventName, reader, record.body)
  } else if (eventName === INFERENCE_DETAILS) {
    const prompt = draft('prompt', 'gen_ai')
    prompt.content = promptContent(reader)
    const output = genAiOutput(reader)
    prompt.requested_calls = requestedCalls(reader, output)
    for (const part of reasoningParts(reader, output)) draft('reasoning_step', 'gen_ai').content = part
  } else {
    draft('other', 'otel')
    if (record.body !== null && record.body !== '') drafts[0].leftovers.push(['log.body', record.body])
  }
  drafts[0].leftovers.unshift(...reader.remaining())
  if (record.severityText !== '') drafts[0].leftovers.push(['log.severity', record.severityText])

  const tenancy = resolveTenant(options.authTenant, identity.tenantClaim)
  const events = finishDrafts(drafts, { tenancy, idSpanId: logIdentity(record, eventName), context: shared.context }, options)
  return {
    signal: 'log',
    tenantId: tenancy.tenantId,
    authTenant: options.authTenant,
    tenantSettled: tenancy.settled,
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: '',
    explicitTaskId: identity.explicitTaskId,
    fallbackTaskId: identity.conversationId || record.traceId || UNTRACED_TASK,
    agentId: identity.agentId,
    agentName: identity.agentName,
    invokesAgent: false,
    delegatedScopes: [],
    startTs: ts,
    endTs: ts,
    startOriginal: original,
    endOriginal: original,
    events,
    origin: undefined,
  }
}
