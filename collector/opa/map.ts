/**
 * An OPA upload's decisions → one SpanRecord each (signal 'log', attached to the span the decision
 * names), holding one authz_decision event: verdict from the result, policy from the path, engine
 * `opa`, the decision id kept. Finished like every mapped event (tenant, redaction, bounds,
 * deterministic id: from the decision id, so a re-upload is the same event).
 */
import { createHash } from 'node:crypto'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { boundedTime, type Draft, finishDrafts, MAX_ATTRIBUTE_CHARS, type MappingOptions, resolveOptions, resolveTenant, type SpanRecord, UNTRACED_TASK } from '../mapping/index.js'
import type { BatchDecision, OpaBatch } from './batch.js'

type ResolvedOptions = ReturnType<typeof resolveOptions>

const cut = (value: string): string => (value.length > MAX_ATTRIBUTE_CHARS ? value.slice(0, MAX_ATTRIBUTE_CHARS) : value)

/** 128 bits of the decision id's hash: ids stay within the event id's alphabet whatever OPA sends. */
function idSpanId(decision: BatchDecision): string {
  return `${decision.span_id}/opa/${createHash('sha256').update(decision.decision_id).digest('hex').slice(0, 32)}`
}

/** What the decision says beyond the event's fields, most telling first: the attribute bound drops the last. */
function leftovers(d: BatchDecision, options: ResolvedOptions): Draft['leftovers'] {
  const out: Draft['leftovers'] = [
    ['opa.decision_id', d.decision_id],
    ['opa.timestamp', d.timestamp],
    ['opa.join', d.join?.via ?? 'correlator'],
  ]
  const optional: Array<[string, string]> = [
    ['opa.query', d.query],
    ['opa.result', d.result],
    ['opa.error', d.error],
    ['opa.erased', d.erased.length > 0 ? JSON.stringify(d.erased) : ''],
    ['opa.masked', d.masked.length > 0 ? JSON.stringify(d.masked) : ''],
    // the input is what the caller asked about: content, kept only when content is captured
    ['opa.input', options.captureContent ? d.input : ''],
    ['opa.requested_by', d.requested_by],
    ['opa.req_id', d.req_id],
  ]
  for (const entry of optional) if (entry[1] !== '') out.push(entry)
  for (const [name, revision] of Object.entries(d.bundles)) out.push([`opa.bundles.${name}.revision`, revision])
  for (const [key, value] of Object.entries(d.labels)) out.push([`opa.labels.${key}`, value])
  return out
}

function decisionEvent(d: BatchDecision, options: ResolvedOptions): { event: PrivpathEvent; original: string } {
  const join = d.join
  const sent = boundedTime(options, BigInt(d.time_unix_nano))
  const event = emptyEvent()
  event.kind = 'authz_decision'
  event.source = 'opa'
  // made inside the tool call it gates (OPA asked from the call's span), the decision is dated no
  // later than the call's start: the call is what ran after it
  event.ts = join?.via === 'tool_call' && join.tool_ts < sent.ts ? join.tool_ts : sent.ts
  event.observed_at = options.observedAt
  event.trace_id = d.trace_id
  event.span_id = d.span_id
  event.parent_span_id = join !== null && join.tool_span_id !== d.span_id ? join.tool_span_id : ''
  event.agent_id = join?.agent_id ?? ''
  event.agent_name = join?.agent_name ?? ''
  event.name = 'opa.decision'
  event.authz_result = d.verdict
  event.authz_policy = cut(d.path || d.query)
  event.authz_engine = 'opa'
  event.authz_action = cut(join?.tool_name || d.action)
  event.authz_resource = d.resource || (join?.tool_target ?? '')
  if (d.error !== '') {
    event.status = 'error'
    event.error = d.error
  }
  return { event, original: sent.original }
}

function mapDecision(d: BatchDecision, options: ResolvedOptions): SpanRecord {
  const { event, original } = decisionEvent(d, options)
  const tenancy = resolveTenant(options.authTenant, d.join?.tenant_id ?? '')
  const events = finishDrafts([{ event, leftovers: leftovers(d, options), originalTs: original }], { tenancy, idSpanId: idSpanId(d), context: [] }, options)
  return {
    signal: 'log',
    tenantId: tenancy.tenantId,
    authTenant: options.authTenant,
    tenantSettled: tenancy.settled,
    traceId: d.trace_id,
    spanId: d.span_id,
    parentSpanId: '',
    explicitTaskId: d.join?.task_id ?? '',
    fallbackTaskId: d.trace_id || UNTRACED_TASK,
    agentId: event.agent_id,
    agentName: event.agent_name,
    invokesAgent: false,
    delegatedScopes: [],
    startTs: event.ts,
    endTs: event.ts,
    startOriginal: original,
    endOriginal: original,
    events,
    origin: undefined,
  }
}

export function mapOpaBatch(batch: OpaBatch, options: MappingOptions): SpanRecord[] {
  const resolved = resolveOptions(options)
  return batch.opa_decisions.map((decision) => mapDecision(decision, resolved))
}
