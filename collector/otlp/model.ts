/**
 * The decoded shape of OTLP trace and log export requests, shared by the protobuf and JSON
 * decoders and consumed by the mapper. It mirrors opentelemetry/proto/{trace,logs,common}/v1 with
 * two simplifications: ids are lowercase hex strings ('' when absent) and attribute lists are
 * plain objects (the last duplicate key wins). Times are Unix nanoseconds as bigint.
 */

export type AnyValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | null
  | AnyValue[]
  | { [key: string]: AnyValue }

export type Attributes = Record<string, AnyValue>

export interface Resource {
  attributes: Attributes
}

export interface InstrumentationScope {
  name: string
  version: string
  attributes: Attributes
}

export interface SpanEvent {
  timeUnixNano: bigint
  name: string
  attributes: Attributes
}

export interface SpanLink {
  traceId: string
  spanId: string
  attributes: Attributes
}

/** OTLP Status.code: 0 unset, 1 ok, 2 error. */
export interface SpanStatus {
  code: 0 | 1 | 2
  message: string
}

export interface Span {
  traceId: string
  spanId: string
  parentSpanId: string
  traceState: string
  name: string
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: Attributes
  events: SpanEvent[]
  links: SpanLink[]
  status: SpanStatus
}

interface ScopeSpans {
  scope: InstrumentationScope
  spans: Span[]
}

export interface ResourceSpans {
  resource: Resource
  scopeSpans: ScopeSpans[]
}

export interface ExportTraceServiceRequest {
  resourceSpans: ResourceSpans[]
}

export interface LogRecord {
  timeUnixNano: bigint
  observedTimeUnixNano: bigint
  severityNumber: number
  severityText: string
  body: AnyValue
  attributes: Attributes
  traceId: string
  spanId: string
  /** LogRecord.event_name (field 12); older senders put it in the `event.name` attribute. */
  eventName: string
}

interface ScopeLogs {
  scope: InstrumentationScope
  logRecords: LogRecord[]
}

export interface ResourceLogs {
  resource: Resource
  scopeLogs: ScopeLogs[]
}

export interface ExportLogsServiceRequest {
  resourceLogs: ResourceLogs[]
}

/** A decoded trace request; malformed spans are left out of `request` and counted here. */
export interface DecodedTraces {
  request: ExportTraceServiceRequest
  /** Spans dropped for malformed ids or status; the receiver reports them as partial success. */
  rejectedSpans: number
  /** Where and why, for the first rejections (a last entry counts the rest). */
  rejectReasons: string[]
}

/** A decoded log request; malformed log records are left out of `request` and counted here. */
export interface DecodedLogs {
  request: ExportLogsServiceRequest
  /** Log records dropped for malformed trace context; reported as partial success. */
  rejectedLogRecords: number
  rejectReasons: string[]
}
