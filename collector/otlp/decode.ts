import { decodeLogsJson } from './json-logs.js'
import { decodeTracesJson } from './json-traces.js'
import type { DecodedLogs, DecodedTraces } from './model.js'
import { decodeLogsProtobuf } from './protobuf-logs.js'
import { decodeTracesProtobuf } from './protobuf-traces.js'
import type { OtlpEncoding } from './responses.js'

/** Decodes an ExportTraceServiceRequest body; throws PrivpathError PP_ERR_DECODE when malformed. */
export function decodeTraces(body: Uint8Array, encoding: OtlpEncoding): DecodedTraces {
  return encoding === 'protobuf' ? decodeTracesProtobuf(body) : decodeTracesJson(body)
}

/** Decodes an ExportLogsServiceRequest body; throws PrivpathError PP_ERR_DECODE when malformed. */
export function decodeLogs(body: Uint8Array, encoding: OtlpEncoding): DecodedLogs {
  return encoding === 'protobuf' ? decodeLogsProtobuf(body) : decodeLogsJson(body)
}
