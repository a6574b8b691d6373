/** The pipeline: a bounded queue of durable requests, mapped, correlated and published in batches (see index.ts). */
import { Counter, Gauge } from 'prom-client'
import { PrivpathError } from '../../core/errors.js'
import type { WalRecord } from '../wal/index.js'
import { QueueRoom } from './queue-room.js'
import type { AcceptedRequest, PipelineOptions, PipelineRecord } from './types.js'


interface Ticket {
  lsn: number
  remaining: number
}

/** Requests (and their body bytes) a publish completes; replayed ones also count toward `replayDone`. */
interface Done {
  requests: number
  bytes: number
  replayed: number
}

export class Pipeline<Req, R extends PipelineRecord> {
  private readonly queue: Array<AcceptedRequest<Req>> = []
  private readonly room: QueueRoom
  private replaying = 0
  private readonly replayWaiters: Array<() => void> = []
  private inflightPublishes = 0
  private readonly idleWaiters: Array<() => void> = []
  private readonly publishSlotWaiters: Array<() => void> = []
  private scheduled = false
  private processing = false
  private stopped = false
  private readonly timer: NodeJS.Timeout
  private readonly now: () => number
  private readonly skipped: Counter

  constructor(private readonly options: PipelineOptions<Req, R>) {
    this.now = options.now ?? Date.now
    this.room = new QueueRoom(options.maxQueuedRequests, options.maxQueuedBytes)
    const registers = [options.registry]
    this.skipped = new Counter({
      name: 'privpath_collector_requests_skipped_total',
      help: 'Durable requests skipped because they could not be decoded or mapped (each is logged with its WAL LSN)',
      labelNames: ['stage'],
      registers,
    })
    const self = this
    new Gauge({
      name: 'privpath_collector_queue_depth',
      help: 'Requests being received or accepted, not yet published to the bus',
      registers,
      collect() {
        this.set(self.room.requests)
      },
    })
    new Gauge({
      name: 'privpath_collector_queue_bytes',
      help: 'Body bytes of requests being received (as declared) or accepted (after decompression), not yet published to the bus',
      registers,
      collect() {
        this.set(self.room.bytes)
      },
    })
    new Gauge({
      name: 'privpath_collector_held_spans',
      help: 'Spans waiting for their parent (up to the grace window)',
      registers,
      collect() {
        this.set(options.stages.correlator.held())
      },
    })
    const every = options.expireEveryMs ?? 1_000
    this.timer = setInterval(() => this.expireHeld(), every)
    this.timer.unref()
  }

  /** Requests reserved or queued and not yet published. */
  depth(): number {
    return this.room.requests
  }

  /**
   * Claims a queue slot and `bytes` of room before the request is acknowledged (the receiver
   * claims the declared size before reading a body, then `resize`s); throws PP_ERR_QUEUE_FULL
   * when there is no room. Room for any size is given when nothing else holds any.
   */
  reserve(bytes = 0): void {
    if (this.stopped) throw new PrivpathError('PP_ERR_UNAVAILABLE', 'collector is shutting down', { retryAfterSeconds: 5 })
    this.room.claim(bytes)
  }

  /** Changes a reservation of `from` bytes to `to` (the body's size once read and decompressed); throws when a larger one does not fit. */
  resize(from: number, to: number): void {
    this.room.resize(from, to)
  }

  /** Gives back a slot whose request was not acknowledged (e.g. the WAL append failed). */
  release(bytes = 0): void {
    this.room.giveBack(1, bytes)
    this.notifyIdle()
  }

  /** Hands over a reserved, durable request. */
  accept(item: AcceptedRequest<Req>): void {
    this.queue.push(item)
    this.schedule()
  }

  /** Replays a WAL record at start; takes a slot without the bound (replay precedes serving). */
  replay(record: WalRecord): void {
    this.room.claimUnbounded(record.body.length)
    this.replaying++
    const { lsn, signal, body, format, tenant } = record
    this.accept({ lsn, signal, body, format, authTenant: tenant, bytes: body.length, replayed: true })
  }

  /** Resolves when every replayed record has been mapped and its ready events published (held ones follow their parents). */
  async replayDone(): Promise<void> {
    while (this.replaying > 0) await new Promise<void>((resolve) => this.replayWaiters.push(resolve))
  }

  /** Resolves when every accepted request has been published. */
  async drain(): Promise<void> {
    while (this.room.requests > 0 || this.inflightPublishes > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
    }
  }

  /** Stops taking requests, drains, stops the expiry timer. Held spans stay in the WAL for the next start. */
  async stop(): Promise<void> {
    this.stopped = true
    await this.drain()
    clearInterval(this.timer)
    const held = this.options.stages.correlator.held()
    if (held > 0) this.options.logger.info({ held }, 'spans still waiting for their parent stay in the write-ahead log for the next start')
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.processQueued()
    })
  }

  private async processQueued(): Promise<void> {
    if (this.processing) return
    this.processing = true
    try {
      while (this.queue.length > 0) {
        if (this.inflightPublishes >= (this.options.maxInflightPublishes ?? 64)) {
          await new Promise<void>((resolve) => this.publishSlotWaiters.push(resolve))
          continue
        }
        this.processBatch(this.queue.splice(0, this.options.maxBatchRequests ?? 2))
        // Mapping is synchronous CPU work: yield so the HTTP server keeps answering meanwhile.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } finally {
      this.processing = false
    }
  }

  private processBatch(batch: Array<AcceptedRequest<Req>>): void {
    const now = this.now()
    const records: R[] = []
    for (const item of batch) {
      const ticket: Ticket = { lsn: item.lsn, remaining: 0 }
      const mapped = this.mapOne(item, now)
      ticket.remaining = mapped.length
      for (const record of mapped) record.origin = ticket
      if (mapped.length === 0) this.options.wal.complete(item.lsn)
      for (const record of mapped) records.push(record)
    }
    const ready = this.options.stages.correlator.add(records, now)
    const done: Done = { requests: batch.length, bytes: 0, replayed: 0 }
    for (const item of batch) {
      done.bytes += item.bytes ?? 0
      if (item.replayed) done.replayed++
    }
    this.publish(ready, done)
  }

  /** A request that cannot be decoded or mapped is logged and skipped: retrying cannot help, and it must not wedge the queue. */
  private mapOne(item: AcceptedRequest<Req>, now: number): R[] {
    let request: Req
    try {
      request = 'request' in item ? item.request : this.options.stages.decode(item.signal, item.body, item.format)
    } catch (error) {
      const what = item.replayed ? 'write-ahead log record no longer decodes' : 'accepted request does not decode'
      this.options.logger.error({ err: error, lsn: item.lsn }, `${what}; skipping it`)
      this.skipped.inc({ stage: 'decode' })
      return []
    }
    try {
      return this.options.stages.map(item.signal, request, { authTenant: item.authTenant, observedAt: now })
    } catch (error) {
      this.options.logger.error({ err: error, lsn: item.lsn }, 'mapping failed; request skipped')
      this.skipped.inc({ stage: 'map' })
      return []
    }
  }

  private expireHeld(): void {
    const ready = this.options.stages.correlator.expire(this.now())
    if (ready.length > 0) this.publish(ready, { requests: 0, bytes: 0, replayed: 0 })
  }

  /** `done` is what the queue gives back once `records` are published. */
  private publish(records: R[], done: Done): void {
    this.inflightPublishes++
    // Never rejects without a signal: the records stay un-checkpointed in the WAL while it retries.
    void this.options.publisher.publish(records).then(() => {
      for (const record of records) {
        const ticket = record.origin as Ticket | undefined
        if (ticket && --ticket.remaining === 0) this.options.wal.complete(ticket.lsn)
      }
      this.room.giveBack(done.requests, done.bytes)
      this.replaying -= done.replayed
      this.inflightPublishes--
      this.publishSlotWaiters.splice(0).forEach((wake) => wake())
      this.notifyIdle()
    })
  }

  private notifyIdle(): void {
    if (this.replaying === 0) this.replayWaiters.splice(0).forEach((wake) => wake())
    if (this.room.requests === 0 && this.inflightPublishes === 0) this.idleWaiters.splice(0).forEach((wake) => wake())
  }
}
