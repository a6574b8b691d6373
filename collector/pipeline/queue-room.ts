/**
 * Room in the collector's queue, in requests and in body bytes: claimed before a request is
 * acknowledged, given back once its events are published. Claims beyond the bounds are refused
 * with PP_ERR_QUEUE_FULL (429 at the door), so nothing is answered 200 and then dropped.
 */
import { PrivpathError } from '../../core/errors.js'

export class QueueRoom {
  /** Requests being received, or accepted and not yet published. */
  requests = 0
  /** Their body bytes: as declared while being received, after decompression once accepted. */
  bytes = 0

  constructor(
    private readonly maxRequests: number,
    /** One request is always let in when nothing else holds bytes, whatever its size. */
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Claims a request slot and `bytes`; throws PP_ERR_QUEUE_FULL when either bound is reached. */
  claim(bytes: number): void {
    if (this.requests >= this.maxRequests) {
      throw new PrivpathError('PP_ERR_QUEUE_FULL', `collector queue is full (${this.maxRequests} requests waiting); retry later`, { retryAfterSeconds: 1 })
    }
    this.resize(0, bytes)
    this.requests++
  }

  /** Changes a claim of `from` bytes to `to`; throws when a larger one does not fit. */
  resize(from: number, to: number): void {
    const others = this.bytes - from
    if (to > from && others > 0 && others + to > this.maxBytes) {
      throw new PrivpathError(
        'PP_ERR_QUEUE_FULL',
        `collector queue is full (${others} of collector.max_queued_bytes ${this.maxBytes} bytes held, this request needs ${to}); retry later`,
        { retryAfterSeconds: 1 },
      )
    }
    this.bytes += to - from
  }

  /** Claims without the bounds: records replayed from the write-ahead log at start, before serving. */
  claimUnbounded(bytes: number): void {
    this.requests++
    this.bytes += bytes
  }

  giveBack(requests: number, bytes: number): void {
    this.requests -= requests
    this.bytes -= bytes
  }
}
