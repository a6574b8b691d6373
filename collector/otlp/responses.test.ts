import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer'
import { describe, expect, it } from 'vitest'

import { otlpProtoRoot } from '../../testkit/fixtures/otlp-proto.js'
import { encodeLogsExportResponse, encodeRpcStatus, encodeTraceExportResponse, retryInfoDetail, RPC_CODES } from './responses.js'

// Responses are read back by the OpenTelemetry JS exporters' own response deserialisers (what a
// real sender does with them) and by protobufjs reflection for google.rpc.Status.

const root = otlpProtoRoot()

describe('export responses', () => {
  it('full success is an empty message', () => {
    const outcome = { rejected: 0, errorMessage: '' }
    expect(encodeTraceExportResponse(outcome, 'protobuf')).toHaveLength(0)
    expect(ProtobufTraceSerializer.deserializeResponse(encodeTraceExportResponse(outcome, 'protobuf'))).toEqual({})
    expect(Buffer.from(encodeTraceExportResponse(outcome, 'json')).toString()).toBe('{}')
  })

  it('partial success carries rejected_spans and error_message, readable by the OTel exporter', () => {
    const outcome = { rejected: 3, errorMessage: 'spans[1].traceId: expected 16 bytes, got 5' }
    expect(ProtobufTraceSerializer.deserializeResponse(encodeTraceExportResponse(outcome, 'protobuf'))).toEqual({
      partialSuccess: { rejectedSpans: 3, errorMessage: outcome.errorMessage },
    })
    expect(JsonTraceSerializer.deserializeResponse(encodeTraceExportResponse(outcome, 'json'))).toEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: outcome.errorMessage },
    })
    const decoded = root.lookupType('otlp.ExportTraceServiceResponse').decode(encodeTraceExportResponse(outcome, 'protobuf'))
    expect(root.lookupType('otlp.ExportTraceServiceResponse').toObject(decoded, { longs: String })).toEqual({
      partial_success: { rejected_spans: '3', error_message: outcome.errorMessage },
    })
  })

  it('a warning without rejections still sets partial_success', () => {
    const outcome = { rejected: 0, errorMessage: 'attributes truncated' }
    expect(ProtobufTraceSerializer.deserializeResponse(encodeTraceExportResponse(outcome, 'protobuf'))).toEqual({
      partialSuccess: { errorMessage: 'attributes truncated' },
    })
  })

  it('logs responses use rejected_log_records', () => {
    const outcome = { rejected: 2 ** 40, errorMessage: 'bad trace context' }
    expect(ProtobufLogsSerializer.deserializeResponse(encodeLogsExportResponse(outcome, 'protobuf'))).toEqual({
      partialSuccess: { rejectedLogRecords: 2 ** 40, errorMessage: 'bad trace context' },
    })
    expect(JsonLogsSerializer.deserializeResponse(encodeLogsExportResponse(outcome, 'json'))).toEqual({
      partialSuccess: { rejectedLogRecords: String(2 ** 40), errorMessage: 'bad trace context' },
    })
  })
})

describe('google.rpc.Status', () => {
  const Status = root.lookupType('otlp.RpcStatus')

  it('encodes code, message and details in protobuf', () => {
    const body = encodeRpcStatus(
      {
        code: RPC_CODES.INVALID_ARGUMENT,
        message: 'resourceSpans[0].scopeSpans[0]: truncated input',
        details: [{ typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: Uint8Array.from([1, 2, 3]) }],
      },
      'protobuf',
    )
    const decoded = Status.toObject(Status.decode(body), { bytes: Array })
    expect(decoded).toEqual({
      code: 3,
      message: 'resourceSpans[0].scopeSpans[0]: truncated input',
      details: [{ type_url: 'type.googleapis.com/google.rpc.BadRequest', value: [1, 2, 3] }],
    })
  })

  it('encodes the same status as JSON', () => {
    const body = encodeRpcStatus(
      { code: RPC_CODES.UNAVAILABLE, message: 'queue full', details: [{ typeUrl: 't/x', value: Uint8Array.from([255]) }] },
      'json',
    )
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({
      code: 14,
      message: 'queue full',
      details: [{ '@type': 't/x', value: '/w==' }],
    })
    expect(JSON.parse(Buffer.from(encodeRpcStatus({ code: 16, message: 'no' }, 'json')).toString())).toEqual({
      code: 16,
      message: 'no',
    })
  })

  it('carries a google.rpc.RetryInfo detail whose retry_delay is the wait in whole seconds', () => {
    const RetryInfo = root.lookupType('otlp.RetryInfo')
    const body = encodeRpcStatus({ code: RPC_CODES.RESOURCE_EXHAUSTED, message: 'queue full', details: [retryInfoDetail(2)] }, 'protobuf')
    const status = Status.toObject(Status.decode(body)) as { details: Array<{ type_url: string; value: Uint8Array }> }
    expect(status.details.map((d) => d.type_url)).toEqual(['type.googleapis.com/google.rpc.RetryInfo'])
    expect(RetryInfo.toObject(RetryInfo.decode(status.details[0].value), { longs: Number })).toEqual({ retry_delay: { seconds: 2 } })
    expect(RetryInfo.toObject(RetryInfo.decode(retryInfoDetail(0.2).value), { longs: Number })).toEqual({ retry_delay: { seconds: 1 } })
  })
})
