/** The OTLP/HTTP receiver plugin and the queue claim each request holds while it is read (see index.ts). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { Authenticator, Caller } from '../../core/auth.js'
import { PrivpathError } from '../../core/errors.js'
import { createIngest, QueueClaim } from './ingest.js'
import type { BodyFormat, Signal, WalEntry } from '../wal/index.js'
import { CONTENT_TYPE, declaredLength, decodeContentEncoding, type DrainBounds, drainRefusedBody, formatOf, readRawBody, requireFormat } from './body.js'
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
export interface IngestSink<Req> {
  /** Claims a slot and room for `bytes` of body, or throws PP_ERR_QUEUE_FULL / PP_ERR_UNAVAILABLE. */
  reserve(bytes: number): void
  /** Changes a claim of `from` bytes to `to`; throws PP_ERR_QUEUE_FULL (keeping `from`) when a larger one does not fit. */
  resize(from: number, to: number): void
  /** Gives back a slot and its `bytes` for a request that was not acknowledged. */
  release(bytes: number): void
  /** Resolves with the LSN once durable; `request` is the decoded form of `entry.body` when the check decoded it. */
  append(entry: WalEntry, request: Req | undefined): Promise<number>
  accept(item: AcceptedExport<Req>): void
}

/** A durable request: decoded when its check decoded it, else its body, decoded where it is mapped. */
export type AcceptedExport<Req> = ({ request: Req } | { body: Uint8Array; format: BodyFormat }) & {
  lsn: number
  signal: Signal
  authTenant: string
  bytes: number
}

export interface ReceiverOptions<Req> {
  codec: OtlpCodec<Req>
  sink: IngestSink<Req>
  auth: Authenticator
  registry: Registry
  maxBodyBytes: number
  /** How much of a body refused with 413 is drained (default: DEFAULT_DRAIN_MS, and maxBodyBytes but at least DEFAULT_DRAIN_BYTES). */
  drain?: Partial<DrainBounds>
}

/** A client gets this long after a 413 to read it and stop sending. */
const DEFAULT_DRAIN_MS = 10_000
/**
 * Bytes drained at least: what a client had in flight when it was refused can be tens of MiB
 * (Linux autotunes socket buffers that far), and cutting that off is the reset draining avoids.
 */
const DEFAULT_DRAIN_BYTES = 64 * 1024 * 1024

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
  const drain: DrainBounds = {
    maxBytes: options.drain?.maxBytes ?? Math.max(options.maxBodyBytes, DEFAULT_DRAIN_BYTES),
    maxMs: options.drain?.maxMs ?? DEFAULT_DRAIN_MS,
  }

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
        const claim = claimBeforeReading(request, reply)
        let body: Buffer
        try {
          body = await readBody(request, reply, claim.grow)
        } catch (error) {
          claim.release()
          throw error
        }
        const authTenant = callers.get(request)?.tenant ?? ''
        const response = await ingest.export({ signal, format, body, authTenant }, claim, request.log)
        return reply.code(200).header('content-type', CONTENT_TYPE[format]).send(toPayload(response))
      })
    }

    /**
     * Claims the queue slot and the declared body size before the body is read, so bodies being
     * read count against the bounds too. A declared size over the limit is answered 413 and the
     * body drained (see drainRefusedBody). A queue refusal leaves the body unread and closes the
     * connection with the answer: a server short of room does not spend reading on bodies it
     * refused.
     */
    function claimBeforeReading(request: FastifyRequest, reply: FastifyReply): QueueClaim {
      let declared: number
      try {
        declared = declaredLength(request.raw, options.maxBodyBytes)
      } catch (error) {
        drainRefusedBody(request.raw, drain)
        throw error
      }
      try {
        return new QueueClaim(options.sink, declared)
      } catch (error) {
        reply.header('connection', 'close')
        throw error
      }
    }

    /**
     * The body, read and decompressed. `grow` claims the bytes read so far (a body without
     * Content-Length) and then the bytes inflated so far (a compressed one) as they come.
     */
    async function readBody(request: FastifyRequest, reply: FastifyReply, grow: (bytes: number) => void): Promise<Buffer> {
      let raw: Buffer
      try {
        raw = await readRawBody(request.raw, options.maxBodyBytes, grow)
      } catch (error) {
        // Part of the body may be unread: drained after a 413, the connection closed after a 429 (as above).
        if (error instanceof PrivpathError && error.code === 'PP_ERR_BODY_TOO_LARGE') drainRefusedBody(request.raw, drain)
        else reply.header('connection', 'close')
        throw error
      }
      return decodeContentEncoding(raw, request.headers['content-encoding'], options.maxBodyBytes, grow)
    }
  }
}

function toPayload(encoded: Uint8Array | string): Buffer | string {
  return typeof encoded === 'string' ? encoded : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
}
