/**
 * What the pipeline takes and is given: the records and stages it composes, its options, and
 * the requests handed to it.
 */
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { PrivpathEvent } from '../../core/event.js'
import type { EventPublisher } from '../publish/publisher.js'
import type { RecordSignal, WalRecord } from '../wal/index.js'

/** What the mapper produces per span (or log record); `origin` is ours and rides through the correlator. */
export interface PipelineRecord {
  events: PrivpathEvent[]
  origin?: unknown
}

export interface CorrelatorLike<R extends PipelineRecord> {
  add(records: R[], now: number): R[]
  expire(now: number): R[]
  held(): number
}

/** The decode / map / correlate steps, injected so the pipeline composes them without owning them. */
export interface PipelineStages<Req, R extends PipelineRecord> {
  /** Decodes a body taken from the queue: protobuf requests and replayed WAL records. */
  decode(signal: RecordSignal, body: Uint8Array, format: WalRecord['format']): Req
  map(signal: RecordSignal, request: Req, context: { authTenant: string; observedAt: number }): R[]
  correlator: CorrelatorLike<R>
}

/** Something whose WAL record completes when all its events are published. */
interface Completion {
  complete(lsn: number): void
}

export interface PipelineOptions<Req, R extends PipelineRecord> {
  publisher: Pick<EventPublisher, 'publish'>
  stages: PipelineStages<Req, R>
  wal: Completion
  logger: Logger
  registry: Registry
  maxQueuedRequests: number
  /** Body bytes the queue may hold; one request is always taken when the queue is empty, whatever its size. */
  maxQueuedBytes?: number
  /** How often held spans are checked against the grace window. */
  expireEveryMs?: number
  /** Publishes that may be in flight at once. */
  maxInflightPublishes?: number
  /** Requests handled per map/correlate/publish round. */
  maxBatchRequests?: number
  now?: () => number
}

/** Decoded when the receiver's check decoded it, else a body to decode when it is taken from the queue. */
export type AcceptedRequest<Req> = ({ request: Req } | { body: Uint8Array; format: WalRecord['format'] }) & {
  lsn: number
  signal: RecordSignal
  authTenant: string
  /** The body size `reserve` counted (0 when none was given). */
  bytes?: number
  /** Came from the write-ahead log at start rather than from a client. */
  replayed?: boolean
}
