/**
 * OTLP decoding. In: the body of an OTLP/HTTP export request (ExportTraceServiceRequest or
 * ExportLogsServiceRequest) as protobuf bytes or OTLP/JSON. Out: the decoded model of model.ts
 * (hex ids, bigint nanosecond times, plain-object attributes), with malformed spans and log
 * records (bad ids, unknown status code) left out and counted for a partial-success answer, and
 * the response bodies (export responses, google.rpc.Status) in either encoding. For protobuf
 * bodies, also a check that gives the decoder's verdict, counts and reasons without building the
 * model (protobuf-check.ts), so a request can wait as its body until it is mapped. Anything else
 * malformed fails the request with PrivpathError PP_ERR_DECODE naming the field's path.
 * Not yet: metrics and profiles signals, gRPC framing, and decompression (the receiver inflates
 * gzip before calling in).
 */
export { decodeLogs, decodeTraces } from './decode.js'

export { decodeTracesJson } from './json-traces.js'

export { checkLogsProtobuf, checkTracesProtobuf } from './protobuf-check.js'

export { encodeLogsExportResponse, encodeRpcStatus, encodeTraceExportResponse, retryInfoDetail } from './responses.js'

export type { AnyValue, Attributes, DecodedTraces, ExportLogsServiceRequest, ExportTraceServiceRequest, InstrumentationScope, LogRecord, Resource, Span, SpanEvent } from './model.js'
