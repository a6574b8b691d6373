/**
 * The collector's steps bound to their implementations: the OTLP codec the receiver uses
 * (otlp decoders and response encoders) and the decode → map → correlate stages of the pipeline,
 * for OTLP requests and OPA decision-log batches (collector/opa) alike.
 */
import type { Registry } from 'prom-client'
import type { Config } from '../core/config/schema.js'
import { Correlator } from './correlate/index.js'
import { mapLogRequest, mapTraceRequest, type SpanRecord } from './mapping/index.js'
import { decodeBatch, mapOpaBatch, type OpaBatch } from './opa/index.js'
import { decodeLogs, decodeTraces, checkLogsProtobuf, checkTracesProtobuf, encodeLogsExportResponse, encodeRpcStatus, encodeTraceExportResponse, retryInfoDetail, type ExportLogsServiceRequest, type ExportTraceServiceRequest } from './otlp/index.js'
import type { PipelineStages } from './pipeline/index.js'
import type { CheckedExport, OtlpCodec } from './receiver/index.js'
import type { BodyFormat, Signal } from './wal/index.js'

export type DecodedRequest = ExportTraceServiceRequest | ExportLogsServiceRequest | OpaBatch
export type PipelineSpanRecord = SpanRecord

function countSpans(request: ExportTraceServiceRequest): number {
  let n = 0
  for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length
  return n
}

function countLogRecords(request: ExportLogsServiceRequest): number {
  let n = 0
  for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length
  return n
}

function decodeExport(signal: Signal, body: Uint8Array, format: BodyFormat): Required<CheckedExport<DecodedRequest>> {
  if (signal === 'traces') {
    const decoded = decodeTraces(body, format)
    return {
      request: decoded.request,
      received: countSpans(decoded.request) + decoded.rejectedSpans,
      rejected: decoded.rejectedSpans,
      rejectReasons: decoded.rejectReasons,
    }
  }
  const decoded = decodeLogs(body, format)
  return {
    request: decoded.request,
    received: countLogRecords(decoded.request) + decoded.rejectedLogRecords,
    rejected: decoded.rejectedLogRecords,
    rejectReasons: decoded.rejectReasons,
  }
}

/**
 * A protobuf body is checked without being decoded; the pipeline decodes it when it maps it. An
 * OTLP/JSON body can only be checked by parsing it, so it is decoded here, once.
 */
function checkExport(signal: Signal, body: Uint8Array, format: BodyFormat): CheckedExport<DecodedRequest> {
  if (format === 'json') return decodeExport(signal, body, format)
  return signal === 'traces' ? checkTracesProtobuf(body) : checkLogsProtobuf(body)
}

export function createOtlpCodec(): OtlpCodec<DecodedRequest> {
  return {
    check: checkExport,
    encodeExportResponse: (signal, format, partial) =>
      (signal === 'traces' ? encodeTraceExportResponse : encodeLogsExportResponse)(partial ?? { rejected: 0, errorMessage: '' }, format),
    encodeStatus: (format, { code, message, retryAfterSeconds }) =>
      encodeRpcStatus({ code, message, details: retryAfterSeconds === undefined ? [] : [retryInfoDetail(retryAfterSeconds)] }, format),
  }
}

const DAY_MS = 86_400_000

/**
 * How far before its receive time an event may be dated: collector.max_past_ms, by default the
 * events TTL (store.events_ttl_days): an older event would be stored already expired, which the
 * store drops on write.
 */
export function maxPastMs(config: Pick<Config, 'collector' | 'store'>): number {
  return config.collector.max_past_ms ?? config.store.events_ttl_days * DAY_MS
}

export function createPipelineStages(
  { collector: config, store }: Pick<Config, 'collector' | 'store'>,
  registry: Registry,
): PipelineStages<DecodedRequest, SpanRecord> {
  const mapping = {
    captureContent: config.capture_content,
    maxContentChars: config.max_content_chars,
    maxFutureSkewMs: config.max_future_skew_ms,
    maxPastMs: maxPastMs({ collector: config, store }),
  }
  return {
    decode: (signal, body, format) =>
      signal === 'opa' ? decodeBatch(body) : signal === 'traces' ? decodeTraces(body, format).request : decodeLogs(body, format).request,
    map: (signal, request, context) =>
      signal === 'opa'
        ? mapOpaBatch(request as OpaBatch, { ...mapping, ...context })
        : signal === 'traces'
          ? mapTraceRequest(request as ExportTraceServiceRequest, { ...mapping, ...context })
          : mapLogRequest(request as ExportLogsServiceRequest, { ...mapping, ...context }),
    correlator: new Correlator({
      graceWindowMs: config.grace_window_ms,
      maxHeldSpans: config.max_held_spans,
      maxHeldBytes: config.max_held_bytes,
      maxKnownSpans: config.max_known_spans,
      registry,
    }),
  }
}
