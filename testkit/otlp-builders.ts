/**
 * Builders for decoded OTLP objects, for tests here and in other components (pipeline, bench):
 * every field present, times in nanoseconds from epoch-millisecond inputs.
 */
import type { Attributes, ExportLogsServiceRequest, ExportTraceServiceRequest, LogRecord, Span, SpanEvent } from '../collector/otlp/index.js'

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
/** When built spans start and log records happen unless told: map them with this as `observedAt` to keep their times. */
export const BUILT_AT_MS = 1_700_000_000_000

function nanos(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n
}

export interface SpanInit {
  traceId?: string
  spanId: string
  parentSpanId?: string
  name?: string
  startMs?: number
  endMs?: number
  attributes?: Attributes
  events?: Array<{ name: string; atMs: number; attributes?: Attributes }>
  status?: Span['status']
  /** OTLP SpanKind (default 1, internal): 2 server, 3 client. */
  kind?: number
}

export function span(init: SpanInit): Span {
  const startMs = init.startMs ?? BUILT_AT_MS
  const events: SpanEvent[] = (init.events ?? []).map((event) => ({
    name: event.name,
    timeUnixNano: nanos(event.atMs),
    attributes: event.attributes ?? {},
  }))
  return {
    traceId: init.traceId ?? TRACE_ID,
    spanId: init.spanId,
    parentSpanId: init.parentSpanId ?? '',
    traceState: '',
    name: init.name ?? 'span',
    kind: init.kind ?? 1,
    startTimeUnixNano: nanos(startMs),
    endTimeUnixNano: nanos(init.endMs ?? startMs + 100),
    attributes: init.attributes ?? {},
    events,
    links: [],
    status: init.status ?? { code: 0, message: '' },
  }
}

export function traceRequest(spans: Span[], resource: Attributes = {}, scopeName = 'test'): ExportTraceServiceRequest {
  return {
    resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: scopeName, version: '', attributes: {} }, spans }] }],
  }
}

export function logRecord(init: Partial<LogRecord> & { atMs?: number }): LogRecord {
  return {
    timeUnixNano: init.timeUnixNano ?? nanos(init.atMs ?? BUILT_AT_MS),
    observedTimeUnixNano: init.observedTimeUnixNano ?? 0n,
    severityNumber: init.severityNumber ?? 9,
    severityText: init.severityText ?? '',
    body: init.body ?? null,
    attributes: init.attributes ?? {},
    traceId: init.traceId ?? TRACE_ID,
    spanId: init.spanId ?? '',
    eventName: init.eventName ?? '',
  }
}

export function logRequest(records: LogRecord[], resource: Attributes = {}): ExportLogsServiceRequest {
  return {
    resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'test', version: '', attributes: {} }, logRecords: records }] }],
  }
}
