/**
 * The privpath event: one flat record per thing an agent did on its privilege path.
 *
 * Collector produces it, the bus carries it, the writer stores it (one ClickHouse column per
 * field, same names), the detector evaluates rules over it and the API returns it. Fields that do
 * not apply to a kind hold their empty value ('' / [] / null), never undefined, so every consumer
 * can rely on the shape. Times are Unix epoch milliseconds (fractions carry microseconds).
 */
import Type, { type Static } from 'typebox'

export const EVENT_KINDS = [
  'task_start',
  'prompt',
  'reasoning_step',
  'tool_invocation',
  'credential_issued',
  'credential_used',
  'credential_revoked',
  'authz_decision',
  'delegation',
  'approval',
  'guardrail',
  'task_end',
  'other',
] as const

export type EventKind = (typeof EVENT_KINDS)[number]

/** Which instrumentation convention the source span followed. */
const EVENT_SOURCES = [
  'privpath',
  'gen_ai',
  'openinference',
  'openllmetry',
  'vercel_ai',
  'otel',
  /** Not a span: an OPA decision-log upload (collector/opa). */
  'opa',
] as const
export type EventSource = (typeof EVENT_SOURCES)[number]

/** Markers the collector attaches; rules match on them. */
export const EVENT_FLAGS = [
  'tenant_mismatch',
  'secret_redacted',
  'content_truncated',
  'credential_id_fingerprinted',
  'late_parent',
  'orphan',
  'clock_skew',
] as const
export type EventFlag = (typeof EVENT_FLAGS)[number]

const Str = Type.String()
const StrList = Type.Array(Type.String())

/** A tool call the model asked for in its output; `call_id` matches the executed call's `tool_call_id`. */
const RequestedCall = Type.Object({ call_id: Str, name: Str, arguments: Str })
export type RequestedCall = Static<typeof RequestedCall>

export const EventSchema = Type.Object({
  event_id: Str,
  kind: Type.Enum(EVENT_KINDS),
  ts: Type.Number(),
  /** Position of the record inside its span (0 = the span itself, n = its n-th span event); orders ties in ts. */
  seq: Type.Integer({ minimum: 0 }),
  observed_at: Type.Number(),

  tenant_id: Str,
  /**
   * The isolation domain: the tenant of the key the event was sent with, '' for the deployment
   * (no tenant keys, or an admin key ingesting for many tenants). Detector and delivery state is
   * keyed by it, so nothing sent with one key reaches another key's alerts.
   */
  domain: Str,
  task_id: Str,
  trace_id: Str,
  span_id: Str,
  parent_span_id: Str,
  agent_id: Str,
  agent_name: Str,
  workload_id: Str,
  user_id: Str,
  source: Type.Enum(EVENT_SOURCES),
  name: Str,

  tool_name: Str,
  tool_call_id: Str,
  tool_arguments: Str,
  /** What the tool returned, redacted and truncated like content. */
  tool_result: Str,
  /** On a model span's event: the tool calls its output requested. */
  requested_calls: Type.Array(RequestedCall),
  target_resource: Str,
  target_tenant: Str,

  credential_id: Str,
  credential_type: Str,
  credential_issuer: Str,
  credential_subject: Str,
  credential_scopes: StrList,
  credential_expires_at: Type.Union([Type.Number(), Type.Null()]),
  credential_task_id: Str,

  authz_result: Type.Union([Type.Literal(''), Type.Literal('allow'), Type.Literal('deny')]),
  authz_policy: Str,
  authz_engine: Str,
  authz_action: Str,
  authz_resource: Str,

  delegate_agent_id: Str,
  delegate_agent_name: Str,
  delegated_scopes: StrList,

  approval_result: Type.Union([
    Type.Literal(''),
    Type.Literal('requested'),
    Type.Literal('granted'),
    Type.Literal('denied'),
  ]),
  approval_approver: Str,
  approval_action: Str,

  content: Str,
  status: Type.Union([Type.Literal('unset'), Type.Literal('ok'), Type.Literal('error')]),
  error: Str,
  flags: StrList,
  attributes: Type.Record(Type.String(), Type.String()),
})

export type PrivpathEvent = Static<typeof EventSchema>

/** Every field at its empty value; mappers spread this and set what applies. */
export function emptyEvent(): PrivpathEvent {
  return {
    event_id: '',
    kind: 'other',
    ts: 0,
    seq: 0,
    observed_at: 0,
    tenant_id: '',
    domain: '',
    task_id: '',
    trace_id: '',
    span_id: '',
    parent_span_id: '',
    agent_id: '',
    agent_name: '',
    workload_id: '',
    user_id: '',
    source: 'otel',
    name: '',
    tool_name: '',
    tool_call_id: '',
    tool_arguments: '',
    tool_result: '',
    requested_calls: [],
    target_resource: '',
    target_tenant: '',
    credential_id: '',
    credential_type: '',
    credential_issuer: '',
    credential_subject: '',
    credential_scopes: [],
    credential_expires_at: null,
    credential_task_id: '',
    authz_result: '',
    authz_policy: '',
    authz_engine: '',
    authz_action: '',
    authz_resource: '',
    delegate_agent_id: '',
    delegate_agent_name: '',
    delegated_scopes: [],
    approval_result: '',
    approval_approver: '',
    approval_action: '',
    content: '',
    status: 'unset',
    error: '',
    flags: [],
    attributes: {},
  }
}

/** Nearly every position is 0 or 1: their padded forms are made once, not per event. */
const PADDED_POSITIONS = Array.from({ length: 8 }, (_, position) => String(position).padStart(3, '0'))

/**
 * Deterministic id: the same span re-sent yields the same ids, so replays deduplicate.
 * `position` distinguishes several events derived from one span record with the same seq (e.g. a
 * tool span that also yields credential_used). The parts are joined rather than hashed: trace and
 * span ids are hex (a log record's stand-in is `<span id>/log/<hex>`) and no part holds a '.', so
 * the id is unique per (trace, span, seq, position, kind), and a SHA-256 per event was the largest
 * single cost of mapping a span. Position comes before kind and is zero-padded so that stored
 * events read back `ORDER BY ts, seq, event_id` keep a span's own order for up to 1,000 events.
 */
export function eventId(traceId: string, spanId: string, kind: EventKind, seq: number, position = 0): string {
  return `${traceId}.${spanId}.${seq}.${PADDED_POSITIONS[position] ?? String(position).padStart(3, '0')}.${kind}`
}

/**
 * The span-id part of a tool invocation that several spans report: an MCP `tools/call` seen by
 * its client and by its server. `key` is derived from what both spans carry (collector/mapping/
 * mcp.ts), so either span, alone or with the other, in any order, yields the same event id, and
 * store reads and the detector take the two as one invocation. Span ids are hex and log stand-ins
 * `<hex>/log/<hex>`, so this form meets neither.
 */
const SHARED_INVOCATION = 'mcp-'

export function sharedInvocationId(traceId: string, key: string): string {
  return eventId(traceId, `${SHARED_INVOCATION}${key}`, 'tool_invocation', 0)
}

/** Whether the event is one of several reports of one invocation (see sharedInvocationId). */
export function isSharedInvocation(event: Pick<PrivpathEvent, 'event_id' | 'kind'>): boolean {
  return event.kind === 'tool_invocation' && event.event_id.includes(`.${SHARED_INVOCATION}`)
}

export function isEventKind(value: unknown): value is EventKind {
  return typeof value === 'string' && (EVENT_KINDS as readonly string[]).includes(value)
}

/** Among events at the same instant and position, a task opens first and closes last. */
export function kindRank(kind: EventKind): number {
  return kind === 'task_start' ? 0 : kind === 'task_end' ? 2 : 1
}

/** Per-task order: time, then position inside the span, then task_start first and task_end last. */
export function compareEvents(a: PrivpathEvent, b: PrivpathEvent): number {
  return a.ts - b.ts || a.seq - b.seq || kindRank(a.kind) - kindRank(b.kind)
}
