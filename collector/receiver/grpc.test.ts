import { gzipSync } from 'node:zlib'
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../core/auth.js'
import { PrivpathError } from '../../core/errors.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { listenGrpc, type GrpcListener } from '../../server/grpc.js'
import { rawGrpcClient, type RawGrpcClient } from '../../testkit/grpc.js'
import { bytesField, embedded, hexBytes, message, spanFields, traceRequest } from '../../testkit/otlp-messages.js'
import { createOtlpCodec, type DecodedRequest } from '../stages.js'
import type { WalEntry } from '../wal/index.js'
import { otlpGrpcServices } from './grpc.js'
import type { AcceptedExport, IngestSink } from './receiver.js'

const MAX_MESSAGE_BYTES = 8 * 1024

/** A sink whose refusals and appends the test decides; it records every claim and hand-over. */
function controlledSink() {
  const sink = {
    held: 0,
    refuse: undefined as PrivpathError | undefined,
    failAppend: false,
    appended: [] as WalEntry[],
    accepted: [] as Array<AcceptedExport<DecodedRequest>>,
    /** Resolves the next append's wait (pending until the test releases it). */
    pendingAppends: [] as Array<() => void>,
    onAppend: undefined as (() => void) | undefined,
  }
  const impl: IngestSink<DecodedRequest> = {
    reserve(bytes) {
      if (sink.refuse) throw sink.refuse
      sink.held += bytes
    },
    resize(from, to) {
      sink.held += to - from
    },
    release(bytes) {
      sink.held -= bytes
    },
    async append(entry) {
      if (sink.failAppend) throw new Error('disk full')
      sink.appended.push(entry)
      await new Promise<void>((resolve) => {
        sink.pendingAppends.push(resolve)
        sink.onAppend?.()
      })
      return sink.appended.length
    },
    accept(item) {
      sink.accepted.push(item)
      sink.held -= item.bytes
    },
  }
  return Object.assign(sink, { impl })
}

const KEYS = ['acme:key-acme']
const validTraces = traceRequest(spanFields())

let sink: ReturnType<typeof controlledSink>
let listener: GrpcListener
let traces: RawGrpcClient
let logs: RawGrpcClient
beforeAll(async () => {
  sink = controlledSink()
  const services = otlpGrpcServices({
    codec: createOtlpCodec(),
    sink: sink.impl,
    auth: createAuthenticator({ tenant_keys: KEYS, tenant_keys_file: '' }),
    registry: new Registry(),
    logger: silentTelemetry().logger,
  })
  listener = await listenGrpc({ host: '127.0.0.1', port: 0, maxMessageBytes: MAX_MESSAGE_BYTES, services })
  traces = rawGrpcClient(listener.port, 'traces')
  logs = rawGrpcClient(listener.port, 'logs')
})
afterAll(async () => {
  traces?.close()
  logs?.close()
  await listener?.stop()
})

/** Sends `body` and lets every append through as it comes. */
async function exportAutoAppend(client: RawGrpcClient, body: Uint8Array, key = 'key-acme') {
  sink.onAppend = () => sink.pendingAppends.shift()?.()
  try {
    return await client.export(body, key)
  } finally {
    sink.onAppend = undefined
  }
}

describe('OTLP/gRPC receiver', () => {
  it('answers only once the append is durable, with the tenant of the key', async () => {
    const appended = new Promise<void>((resolve) => (sink.onAppend = resolve))
    let answered = false
    const answer = traces.export(validTraces, 'key-acme').then((a) => ((answered = true), a))
    await appended
    sink.onAppend = undefined
    expect(answered).toBe(false)
    sink.pendingAppends.shift()!()
    const result = await answer
    expect(result.code).toBe(0)
    expect(ProtobufTraceSerializer.deserializeResponse(result.response!)).toEqual({})
    expect(sink.appended.at(-1)).toMatchObject({ signal: 'traces', format: 'protobuf', tenant: 'acme' })
    expect(Buffer.from(sink.appended.at(-1)!.body).equals(Buffer.from(validTraces))).toBe(true)
    expect(sink.accepted.at(-1)).toMatchObject({ signal: 'traces', authTenant: 'acme', bytes: validTraces.length })
    expect(sink.held).toBe(0)
  })

  it('reports rejected spans and log records as partial success', async () => {
    const badSpan = traceRequest(spanFields(), spanFields({ traceId: hexBytes('0102030405') }))
    const traced = await exportAutoAppend(traces, badSpan)
    expect(traced.code).toBe(0)
    expect(ProtobufTraceSerializer.deserializeResponse(traced.response!)).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: expect.stringMatching(/traceId/) },
    })
    // logs.v1: resource_logs { scope_logs { log_records { trace_id of 3 bytes } } }
    const badRecord = message(embedded(1, embedded(2, embedded(2, bytesField(9, hexBytes('010203'))))))
    const logged = await exportAutoAppend(logs, badRecord)
    expect(logged.code).toBe(0)
    expect(ProtobufLogsSerializer.deserializeResponse(logged.response!)).toMatchObject({ partialSuccess: { rejectedLogRecords: 1 } })
  })

  it('answers UNAUTHENTICATED for a missing or unknown key, before claiming anything', async () => {
    for (const key of [undefined, 'key-nope']) {
      const answer = await traces.export(validTraces, key)
      expect(answer.code).toBe(16)
      expect(answer.details).toMatch(/^PP_ERR_UNAUTHORIZED: /)
    }
    expect(sink.held).toBe(0)
  })

  it('answers INVALID_ARGUMENT naming what is malformed, and gives the claim back', async () => {
    const answer = await traces.export(Uint8Array.from([0x0a, 0x05, 0x0a, 0x03]), 'key-acme')
    expect(answer.code).toBe(3)
    expect(answer.details).toMatch(/^PP_ERR_DECODE: ExportTraceServiceRequest: resourceSpans\[0\]: truncated input/)
    expect(answer.retryDelaySeconds).toBeUndefined()
    expect(sink.held).toBe(0)
  })

  it('answers a full queue RESOURCE_EXHAUSTED and a stopping one UNAVAILABLE, each with RetryInfo', async () => {
    sink.refuse = new PrivpathError('PP_ERR_QUEUE_FULL', 'collector queue is full (3 requests waiting); retry later', { retryAfterSeconds: 1 })
    const full = await traces.export(validTraces, 'key-acme')
    sink.refuse = new PrivpathError('PP_ERR_UNAVAILABLE', 'collector is shutting down', { retryAfterSeconds: 5 })
    const stopping = await traces.export(validTraces, 'key-acme')
    sink.refuse = undefined
    expect(full).toMatchObject({ code: 8, retryDelaySeconds: 1, details: expect.stringMatching(/^PP_ERR_QUEUE_FULL: collector queue is full/) })
    expect(stopping).toMatchObject({ code: 14, retryDelaySeconds: 5, details: 'PP_ERR_UNAVAILABLE: collector is shutting down' })
  })

  it('answers UNAVAILABLE with RetryInfo when the request cannot be made durable, and gives the claim back', async () => {
    sink.failAppend = true
    const answer = await traces.export(validTraces, 'key-acme')
    sink.failAppend = false
    expect(answer).toMatchObject({ code: 14, retryDelaySeconds: 5, details: expect.stringMatching(/cannot make the request durable: disk full/) })
    expect(sink.held).toBe(0)
  })

  it('takes gzip messages, and refuses RESOURCE_EXHAUSTED what is past the limit before or after inflating', async () => {
    const zipped = rawGrpcClient(listener.port, 'traces', { gzip: true })
    try {
      const before = sink.appended.length
      expect((await exportAutoAppend(zipped, validTraces)).code).toBe(0)
      expect(Buffer.from(sink.appended[before].body).equals(Buffer.from(validTraces))).toBe(true)
      // Zeros inflate far past the limit from a few hundred bytes.
      const bomb = await zipped.export(new Uint8Array(MAX_MESSAGE_BYTES * 4), 'key-acme')
      expect(bomb.code).toBe(8)
      expect(gzipSync(new Uint8Array(MAX_MESSAGE_BYTES * 4)).length).toBeLessThan(MAX_MESSAGE_BYTES)
    } finally {
      zipped.close()
    }
    const large = await traces.export(new Uint8Array(MAX_MESSAGE_BYTES + 1), 'key-acme')
    expect(large.code).toBe(8)
    expect(sink.appended.every((entry) => entry.body.length <= MAX_MESSAGE_BYTES)).toBe(true)
  })
})
