/**
 * The correlate stage behind Kafka: a consumer group on `spans` (key = trace id, so one member
 * owns a trace) feeding the correlator, then `events` (key = task id) and `credentials` (key =
 * credential id, task id for task_end) out. A batch resolves — and its offsets are committed — only once every record
 * in it was published, including records held for a parent that arrives in a later batch; the
 * bus pipelines batches of a partition so that later batch can arrive meanwhile. A member that
 * dies holding records leaves their batches uncommitted: the next owner correlates them again.
 */
import type { Logger } from 'pino'
import type { Bus, Subscription } from '../../core/bus/index.js'
import type { SpanRecord } from '../mapping/index.js'
import type { CorrelatorLike } from '../pipeline/index.js'
import type { EventPublisher } from '../publish/publisher.js'
import { sharedAbort } from '../../core/retry.js'
import type { SpanTopics } from './topics.js'

export const CORRELATE_GROUP = 'collector-correlate'

interface Ticket {
  remaining: number
  resolve: () => void
  reject: (error: Error) => void
}

export interface CorrelateConsumerOptions {
  bus: Bus<SpanTopics>
  correlator: CorrelatorLike<SpanRecord>
  publisher: Pick<EventPublisher, 'publish'>
  logger: Logger
  expireEveryMs: number
  /** Batches of one partition open at once (waiting for held records). */
  maxInflightBatches?: number
  maxBatch?: number
  now?: () => number
}

export class CorrelateConsumer {
  private subscription: Subscription | undefined
  private readonly open = new Set<Ticket>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  /** Ends the retries of publishes in flight at stop: their batches stay uncommitted. */
  private readonly stopping = sharedAbort()

  constructor(private readonly options: CorrelateConsumerOptions) {}

  async start(): Promise<void> {
    const now = this.options.now ?? Date.now
    this.subscription = await this.options.bus.subscribe(
      'spans',
      { group: CORRELATE_GROUP, fromBeginning: true, maxBatch: this.options.maxBatch ?? 2_000, maxInflightBatches: this.options.maxInflightBatches ?? 256 },
      (messages) =>
        new Promise<void>((resolve, reject) => {
          if (this.stopped) return reject(new Error('correlate stage stopping'))
          const ticket: Ticket = { remaining: messages.length, resolve, reject }
          this.open.add(ticket)
          const records = messages.map((m) => ({ ...m.value, origin: ticket }) as SpanRecord)
          this.emit(this.options.correlator.add(records, now()))
        }),
    )
    this.timer = setInterval(() => this.emit(this.options.correlator.expire(now())), this.options.expireEveryMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stopping.abort(new Error('correlate stage stopped'))
    clearInterval(this.timer)
    const closing = this.subscription?.close()
    // Batches still waiting for held records stay uncommitted: the group hands them to the next owner.
    for (const ticket of this.open) ticket.reject(new Error('correlate stage stopped with records held'))
    this.open.clear()
    await closing
  }

  private emit(ready: SpanRecord[]): void {
    if (ready.length === 0) return
    this.options.publisher.publish(ready, this.stopping.signal).then(
      () => {
        for (const record of ready) {
          const ticket = record.origin as Ticket
          if (--ticket.remaining === 0 && this.open.delete(ticket)) ticket.resolve()
        }
      },
      (error: unknown) => {
        // Aborted at stop: the tickets were rejected there, their batches stay uncommitted.
        if (this.stopping.signal.aborted) return
        // Anything else is a fault in publishing itself: hand the batches back to the group so they
        // are correlated again, instead of leaving them open for ever.
        this.options.logger.error({ err: error, records: ready.length }, 'publishing correlated events failed; the batches are redelivered')
        for (const record of ready) {
          const ticket = record.origin as Ticket
          if (this.open.delete(ticket)) ticket.reject(error instanceof Error ? error : new Error(String(error)))
        }
      },
    )
  }
}
