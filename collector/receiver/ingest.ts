/**
 * What the OTLP/HTTP and OTLP/gRPC receivers share once a request's body is in hand: its claim on
 * the queue, the check, the durable append, the hand-over to the pipeline and the answer's body,
 * and the counters of items received and rejected (one set per registry, whichever receiver
 * registers them first).
 */
import { Counter, type Registry } from 'prom-client'
import { PrivpathError } from '../../core/errors.js'
import type { BodyFormat, Signal } from '../wal/index.js'
import type { QueueClaim } from './claim.js'
import type { CheckedExport, IngestSink, OtlpCodec } from './receiver.js'

/** Where a failed append is logged: the request's logger (HTTP) or the receiver's (gRPC). */
interface ErrorLog {
  error(details: object, message: string): void
}

interface IngestRequest {
  signal: Signal
  format: BodyFormat
  /** The whole body, decompressed. */
  body: Buffer
  /** The tenant of the caller's key; '' when authentication is off. */
  authTenant: string
}

export interface Ingest {
  /**
   * Checks the body, makes it durable and hands it to the sink, then resolves with the
   * Export*ServiceResponse in the request's encoding (partial_success when items were rejected).
   * The claim is released when this throws (PP_ERR_DECODE, PP_ERR_QUEUE_FULL, PP_ERR_UNAVAILABLE),
   * and passes to the pipeline with the request otherwise.
   */
  export(request: IngestRequest, claim: QueueClaim, log: ErrorLog): Promise<Uint8Array | string>
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  const existing = registry.getSingleMetric(name)
  if (existing instanceof Counter) return existing
  return new Counter({ name, help, labelNames, registers: [registry] })
}

export function createIngest<Req>(options: { codec: OtlpCodec<Req>; sink: IngestSink<Req>; registry: Registry }): Ingest {
  const { codec, sink, registry } = options
  const received = counter(registry, 'privpath_collector_items_received_total', 'Spans and log records received in decodable requests', ['signal'])
  const rejected = counter(registry, 'privpath_collector_items_rejected_total', 'Spans and log records rejected (reported as partial success)', ['signal'])

  return {
    async export({ signal, format, body, authTenant }, claim, log) {
      let checked: CheckedExport<Req>
      try {
        checked = codec.check(signal, body, format)
        claim.resize(body.length)
      } catch (error) {
        claim.release()
        throw error
      }
      received.inc({ signal }, checked.received)
      if (checked.rejected > 0) rejected.inc({ signal }, checked.rejected)

      let lsn: number
      try {
        lsn = await sink.append({ signal, format, tenant: authTenant, body }, checked.request)
      } catch (error) {
        claim.release()
        log.error({ err: error }, 'write-ahead log append failed')
        throw new PrivpathError('PP_ERR_UNAVAILABLE', `cannot make the request durable: ${(error as Error).message}`, {
          cause: error,
          retryAfterSeconds: 5,
        })
      }
      const content = checked.request === undefined ? { body, format } : { request: checked.request }
      sink.accept({ lsn, signal, authTenant, bytes: claim.bytes, ...content })

      const partial = checked.rejected > 0 ? { rejected: checked.rejected, errorMessage: checked.rejectReasons.join('; ') } : undefined
      return codec.encodeExportResponse(signal, format, partial)
    },
  }
}
