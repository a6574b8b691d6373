/**
 * The correlate stage behind Kafka: a consumer group on `spans` (key = trace id, so one member
 * owns a trace) feeding the correlator, then `events` (key = task id) and `credentials` (key =
 * credential id) out. A batch resolves — and its offsets are committed — only once every record
 * in it was published, including records held for a parent that arrives in a later batch; the
 * bus pipelines batches of a partition so that later batch can arrive meanwhile. A member that
 * dies holding records leaves their batches uncommitted: the next owner correlates them again.
 */
import type { Logger } from 'pino'
import type { Bus, Subscription } from '../../core/bus/bus.js'
import type { CorrelatorLike } from '../pipeline/index.js'
import type { SpanRecord } from '../mapping/index.js'
import { eventMessages } from '../publish/messages.js'

export const CORRELATE_GROUP = 'collector-correlate'

interface Ticket {
  remaining: number
  resolve: () => void
  reject: (error: Error) => void
}

export interface CorrelateConsumerOptions {
  bus: Bus
  correlator: CorrelatorLike<SpanRecord>
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

  held(): number {
    return this.options.correlator.held()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    const closing = this.subscription?.close()
    // Batches still waiting for held records stay uncommitted: the group hands them to the next owner.
    for (const ticket of this.open) ticket.reject(new Error('correlate stage stopped with records held'))
    this.open.clear()
    await closing
  }

  private emit(ready: SpanRecord[]): void {
    if (ready.length === 0) return
    void this.publish(ready).then(() => {
      for (const record of ready) {
        const ticket = record.origin as Ticket
        if (--ticket.remaining === 0 && this.open.delete(ticket)) ticket.resolve()
      }
    })
  }

  private async publish(records: SpanRecord[]): Promise<void> {
    const { events, credentials } = eventMessages(records)
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await Promise.all([this.options.bus.publish('events', events), this.options.bus.publish('credentials', credentials)])
        return
      } catch (error) {
        this.options.logger.warn({ err: error, attempt, events: events.length }, 'publishing correlated events failed; retrying')
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))))
      }
    }
  }
}
