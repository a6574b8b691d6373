import { Writer } from 'protobufjs/minimal.js'

/*
 * Export responses (opentelemetry/proto/collector/{trace,logs}/v1) and google.rpc.Status bodies,
 * in the encoding the request came in. A full success is the empty message; partial_success is
 * set only when something was rejected or there is a message for the sender, as the OTLP
 * specification asks. JSON int64 values are decimal strings, as protojson writes them.
 */

export type OtlpEncoding = 'protobuf' | 'json'

export interface ExportOutcome {
  /** Items (spans or log records) the collector rejected. */
  rejected: number
  /** Why, for the sender's logs; '' when nothing to say. */
  errorMessage: string
}

interface RpcStatusDetail {
  typeUrl: string
  value: Uint8Array
}

/** google.rpc.Status. */
export interface RpcStatus {
  code: number
  message: string
  details?: RpcStatusDetail[]
}

/** The google.rpc.Code values an OTLP receiver answers with. */
export const RPC_CODES = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

export function encodeTraceExportResponse(outcome: ExportOutcome, encoding: OtlpEncoding): Uint8Array {
  return encodeExportResponse(outcome, encoding, 'rejectedSpans')
}

export function encodeLogsExportResponse(outcome: ExportOutcome, encoding: OtlpEncoding): Uint8Array {
  return encodeExportResponse(outcome, encoding, 'rejectedLogRecords')
}

function encodeExportResponse(outcome: ExportOutcome, encoding: OtlpEncoding, countField: string): Uint8Array {
  const partial = outcome.rejected > 0 || outcome.errorMessage !== ''
  if (encoding === 'json') {
    if (!partial) return Buffer.from('{}')
    const partialSuccess: Record<string, string> = {}
    if (outcome.rejected > 0) partialSuccess[countField] = String(outcome.rejected)
    if (outcome.errorMessage !== '') partialSuccess.errorMessage = outcome.errorMessage
    return Buffer.from(JSON.stringify({ partialSuccess }))
  }
  const writer = Writer.create()
  if (partial) {
    // partial_success = 1 { rejected_* = 1 (int64); error_message = 2 (string) }
    writer.uint32((1 << 3) | 2).fork()
    if (outcome.rejected > 0) writer.uint32((1 << 3) | 0).int64(outcome.rejected)
    if (outcome.errorMessage !== '') writer.uint32((2 << 3) | 2).string(outcome.errorMessage)
    writer.ldelim()
  }
  return writer.finish()
}

/**
 * A google.rpc.RetryInfo detail (retry_delay = 1, a google.protobuf.Duration of whole seconds =
 * 1): what an OTLP/gRPC client waits before retrying a RESOURCE_EXHAUSTED or UNAVAILABLE answer.
 */
export function retryInfoDetail(seconds: number): RpcStatusDetail {
  const writer = Writer.create()
  writer.uint32((1 << 3) | 2).fork()
  if (seconds > 0) writer.uint32((1 << 3) | 0).int64(Math.ceil(seconds))
  writer.ldelim()
  return { typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: writer.finish() }
}

export function encodeRpcStatus(status: RpcStatus, encoding: OtlpEncoding): Uint8Array {
  const details = status.details ?? []
  if (encoding === 'json') {
    const json: Record<string, unknown> = { code: status.code, message: status.message }
    // protojson writes an Any of an unregistered type as its type URL and base64 bytes.
    if (details.length > 0) {
      json.details = details.map((d) => ({ '@type': d.typeUrl, value: Buffer.from(d.value).toString('base64') }))
    }
    return Buffer.from(JSON.stringify(json))
  }
  // code = 1 (int32), message = 2 (string), details = 3 (repeated google.protobuf.Any)
  const writer = Writer.create()
  if (status.code !== 0) writer.uint32((1 << 3) | 0).int32(status.code)
  if (status.message !== '') writer.uint32((2 << 3) | 2).string(status.message)
  for (const detail of details) {
    writer.uint32((3 << 3) | 2).fork()
    // google.protobuf.Any: type_url = 1, value = 2
    writer.uint32((1 << 3) | 2).string(detail.typeUrl)
    writer.uint32((2 << 3) | 2).bytes(detail.value)
    writer.ldelim()
  }
  return writer.finish()
}
