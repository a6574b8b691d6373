/**
 * The OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` and
 * `opentelemetry.proto.collector.logs.v1.LogsService/Export`, as grpc-js services the server binds
 * (server/grpc.ts). Each call goes the HTTP receiver's way (ingest.ts): same tenant key, same
 * queue, same check, answered only once durable.
 *
 * The services take and give raw Buffers: grpc-js frames, inflates (`grpc-encoding: gzip`) and
 * bounds the message (grpc.max_receive_message_length, RESOURCE_EXHAUSTED past it), and our own
 * decoder reads it, so a malformed message is INVALID_ARGUMENT naming the field, never a
 * deserializer's crash. Statuses grpc-js answers by itself (size limit, a gzip that does not
 * inflate: INTERNAL, an unknown method: UNIMPLEMENTED) never reach these handlers.
 */
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js'
import type { handleUnaryCall, ServerErrorResponse, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js'
import { Counter, type Registry } from 'prom-client'
import type { Authenticator } from '../../core/auth.js'
import { classify } from '../../core/classify.js'
import type { Logger } from '../../core/telemetry.js'
import type { Signal } from '../wal/index.js'
import { QueueClaim } from './claim.js'
import { createIngest } from './ingest.js'
import type { IngestSink, OtlpCodec } from './receiver.js'

/** A service for a grpc-js Server: its methods, and the handlers of each. */
export interface GrpcService {
  definition: ServiceDefinition
  implementation: UntypedServiceImplementation
}

export interface GrpcReceiverOptions<Req> {
  codec: OtlpCodec<Req>
  sink: IngestSink<Req>
  auth: Authenticator
  registry: Registry
  logger: Logger
}

const SERVICE_NAMES: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
}

const passThrough = (message: Buffer): Buffer => message

/** The Export method of a signal's OTLP service, its messages passed through as Buffers (clients in tests and benches use it too). */
export function otlpServiceDefinition(signal: Signal): ServiceDefinition {
  return {
    Export: {
      path: `/${SERVICE_NAMES[signal]}/Export`,
      originalName: 'export',
      requestStream: false,
      responseStream: false,
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  }
}

/** The caller's `authorization` metadata (`Bearer <key>`), as the HTTP receiver reads the header. */
function authorization(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0]
  return typeof value === 'string' ? value : undefined
}

export function otlpGrpcServices<Req>(options: GrpcReceiverOptions<Req>): GrpcService[] {
  const { codec, sink, auth, logger } = options
  const ingest = createIngest(options)
  const requests = new Counter({
    name: 'privpath_collector_grpc_requests_total',
    help: 'OTLP/gRPC requests by signal and status code (statuses grpc-js answers itself, such as the size limit, are not counted)',
    labelNames: ['signal', 'code'],
    registers: [options.registry],
  })

  /**
   * The status of a failed call: the google.rpc.Code the HTTP receiver puts in its
   * google.rpc.Status body, the same `PP_ERR_*: message`, and for what is worth retrying
   * (RESOURCE_EXHAUSTED, UNAVAILABLE) a RetryInfo in grpc-status-details-bin, which the OTLP
   * specification asks for where HTTP sends Retry-After.
   */
  function failure(error: unknown): ServerErrorResponse & { code: number } {
    const classified = classify(error)
    if (classified.status >= 500) logger.error({ err: error }, 'OTLP/gRPC request failed')
    const details = `${classified.code}: ${classified.message}`
    const metadata = new Metadata()
    if (classified.retryAfterSeconds !== undefined) {
      const status = { code: classified.grpcCode, message: details, retryAfterSeconds: classified.retryAfterSeconds }
      metadata.set('grpc-status-details-bin', toBuffer(codec.encodeStatus('protobuf', status)))
    }
    return Object.assign(new Error(details), { code: classified.grpcCode, details, metadata })
  }

  const exportCall =
    (signal: Signal): handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      const receive = async () => {
        const caller = auth.authenticate(authorization(call.metadata))
        const body = call.request
        return ingest.export({ signal, format: 'protobuf', body, authTenant: caller.tenant }, new QueueClaim(sink, body.length), logger)
      }
      receive().then(
        (response) => {
          requests.inc({ signal, code: 'OK' })
          callback(null, toBuffer(response))
        },
        (error: unknown) => {
          const status = failure(error)
          requests.inc({ signal, code: GrpcStatus[status.code] })
          callback(status)
        },
      )
    }

  return (['traces', 'logs'] as const).map((signal) => ({
    definition: otlpServiceDefinition(signal),
    implementation: { Export: exportCall(signal) },
  }))
}

function toBuffer(encoded: Uint8Array | string): Buffer {
  return typeof encoded === 'string' ? Buffer.from(encoded) : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
}
