/** The OTLP/HTTP receiver plugin (see index.ts); the queue claim each request holds while it is read is in claim.ts. */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { Authenticator, Caller } from '../../core/auth.js'
import { createIngest } from './ingest.js'
import type { BodyFormat, RecordSignal, Signal, WalEntry } from '../wal/index.js'
import { CONTENT_TYPE, type DrainBounds, formatOf, requireFormat } from './body.js'
import { type BodyLimits, claimBeforeReading, drainBounds, type QueueRoom, readClaimedBody } from './claim.js'
import { httpErrors } from '../../core/http-errors.js'
import { otlpRequestDocs, otlpRouteSchema } from './openapi.js'


export interface CheckedExport<Req> {
  /** Items in the request (spans or log records), accepted or not. */
  received: number
  rejected: number
  rejectReasons: string[]
  /** The decoded request, when checking it took decoding it. */
  request?: Req
}

/** The OTLP wire formats, supplied by the otlp module. */
export interface OtlpCodec<Req> {
  /** Checks a body and counts its items; throws PP_ERR_DECODE naming what is malformed. */
  check(signal: Signal, body: Uint8Array, format: BodyFormat): CheckedExport<Req>
  encodeExportResponse(
    signal: Signal,
    format: BodyFormat,
    partialSuccess: { rejected: number; errorMessage: string } | undefined,
  ): Uint8Array | string
  /** A google.rpc.Status; with `retryAfterSeconds`, carrying a google.rpc.RetryInfo detail of that delay. */
  encodeStatus(format: BodyFormat, status: { code: number; message: string; retryAfterSeconds?: number }): Uint8Array | string
}

/** Where accepted requests go: a bounded queue in front of a durable log. */
export interface IngestSink<Req> extends QueueRoom {
  /** Resolves with the LSN once durable; `request` is the decoded form of `entry.body` when the check decoded it. */
  append(entry: WalEntry, request: Req | undefined): Promise<number>
  accept(item: AcceptedExport<Req>): void
}

/** A durable request: decoded when its check decoded it, else its body, decoded where it is mapped. */
export type AcceptedExport<Req> = ({ request: Req } | { body: Uint8Array; format: BodyFormat }) & {
  lsn: number
  signal: RecordSignal
  authTenant: string
  bytes: number
}

export interface ReceiverOptions<Req> {
  codec: OtlpCodec<Req>
  sink: IngestSink<Req>
  auth: Authenticator
  registry: Registry
  maxBodyBytes: number
  /** How much of a body refused with 413 is drained (default: see drainBounds). */
  drain?: Partial<DrainBounds>
}

const SIGNAL_ROUTES: Record<Signal, string> = { traces: '/v1/traces', logs: '/v1/logs' }

export function otlpReceiver<Req>(options: ReceiverOptions<Req>) {
  const ingest = createIngest(options)
  const requests = new Counter({
    name: 'privpath_collector_requests_total',
    help: 'OTLP requests by signal and response status',
    labelNames: ['signal', 'status'],
    registers: [options.registry],
  })
  const callers = new WeakMap<FastifyRequest, Caller>()
  const limits: BodyLimits = { maxBodyBytes: options.maxBodyBytes, drain: drainBounds(options.maxBodyBytes, options.drain) }

  return async function receiver(app: FastifyInstance): Promise<void> {
    // The body is read by the handler: it alone knows the limits and the content encoding.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_request, _payload, done) => done(null))

    app.addHook('onRequest', async (request) => {
      callers.set(request, options.auth.authenticate(request.headers.authorization))
    })

    httpErrors(app, {
      what: 'OTLP request',
      drainsRefusedBodies: true,
      // google.rpc.Status in the request's own encoding, its message prefixed by our error code
      encode: (request, classified) => {
        const format = formatOf(request.headers['content-type']) ?? 'json'
        const status = { code: classified.grpcCode, message: `${classified.code}: ${classified.message}` }
        return { contentType: CONTENT_TYPE[format], payload: toPayload(options.codec.encodeStatus(format, status)) }
      },
    })

    app.addHook('onResponse', async (request, reply) => {
      const signal = (request.routeOptions.config as { signal?: Signal } | undefined)?.signal
      if (signal) requests.inc({ signal, status: String(reply.statusCode) })
    })

    for (const signal of ['traces', 'logs'] as const) {
      const route = { schema: otlpRouteSchema(signal), config: { signal, swaggerTransform: otlpRequestDocs(signal) } }
      app.post(SIGNAL_ROUTES[signal], route, async (request, reply) => {
        const format = requireFormat(request.headers['content-type'])
        const claim = claimBeforeReading(request, reply, options.sink, limits)
        let body: Buffer
        try {
          body = await readClaimedBody(request, reply, claim.grow, limits)
        } catch (error) {
          claim.release()
          throw error
        }
        const authTenant = callers.get(request)?.tenant ?? ''
        const response = await ingest.export({ signal, format, body, authTenant }, claim, request.log)
        return reply.code(200).header('content-type', CONTENT_TYPE[format]).send(toPayload(response))
      })
    }
  }
}

function toPayload(encoded: Uint8Array | string): Buffer | string {
  return typeof encoded === 'string' ? encoded : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
}
