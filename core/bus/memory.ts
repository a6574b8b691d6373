/**
 * In-process bus for the embedded all-in-one.
 *
 * In: published batches. Out: each subscribed group receives every message, in publish order,
 * in batches of at most `maxBatch`. `publish` resolves when every group's handler has resolved for
 * all of its messages, which is the durability signal the collector's write-ahead log waits for.
 * A group's queue is bounded: `publish` waits for room instead of growing without limit.
 * `maxInflightBatches` (default 1, strictly in order) lets a group such as the writer take the
 * next batch while an earlier one is still being handled.
 * Not here: persistence (the collector's WAL provides it) and several members per group.
 */
import { type BackoffPolicy, retry, type RetryOptions, sharedAbort } from '../retry.js'
import { HANDLER_BACKOFF, type BatchContext, type BatchHandler, type Bus, type BusMessage, type SubscribeOptions, type Subscription, type Topic, type TopicMap } from './bus.js'

interface Tracker {
  remaining: number
  resolve: () => void
}

interface Pending {
  message: BusMessage<unknown>
  tracker: Tracker
}

export interface MemoryBusOptions {
  /** Messages a group may hold before `publish` waits. */
  maxQueue?: number
  /** Waits before a failed batch is handed to the handler again (default HANDLER_BACKOFF). */
  retry?: BackoffPolicy
  onHandlerError?: (error: unknown, topic: Topic, group: string) => void
}

class GroupQueue {
  private readonly queue: Pending[] = []
  private readonly waitingForRoom: Array<() => void> = []
  private wake: (() => void) | undefined
  private closed = false
  /** Aborted on close: ends the retry waits of failing batches. */
  private readonly stopping = sharedAbort()
  private inflight = 0
  readonly done: Promise<void>

  constructor(
    readonly topic: Topic,
    readonly group: string,
    private readonly handler: BatchHandler<unknown>,
    private readonly maxBatch: number,
    private readonly maxQueue: number,
    private readonly backoff: BackoffPolicy,
    private readonly onError: MemoryBusOptions['onHandlerError'],
    private readonly maxInflight: number,
  ) {
    this.done = this.run()
  }

  get depth(): number {
    return this.queue.length
  }

  async push(items: Pending[]): Promise<void> {
    for (const item of items) {
      while (this.queue.length >= this.maxQueue && !this.closed) {
        // An idle consumer learns of the messages already queued only here: without the wake a
        // publish larger than the free room would wait for room forever.
        this.wake?.()
        await new Promise<void>((resolve) => this.waitingForRoom.push(resolve))
      }
      this.queue.push(item)
    }
    this.wake?.()
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopping.abort(new Error(`in-process bus: group "${this.group}" of "${this.topic}" closed`))
    this.wake?.()
    for (const resolve of this.waitingForRoom.splice(0)) resolve()
    await this.done
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0 || this.inflight >= this.maxInflight) {
        if (this.closed && this.queue.length === 0 && this.inflight === 0) return
        await new Promise<void>((resolve) => (this.wake = resolve))
        this.wake = undefined
        continue
      }
      const batch = this.queue.splice(0, this.maxBatch)
      for (const resolve of this.waitingForRoom.splice(0)) resolve()
      this.inflight++
      void this.deliver(batch).finally(() => {
        this.inflight--
        this.wake?.()
      })
    }
  }

  /**
   * Hands one batch to the handler until it succeeds (at-least-once), then resolves its publishers.
   * Close ends the retries; the batch's publishers then stay unresolved.
   */
  private async deliver(batch: Pending[]): Promise<void> {
    const context: BatchContext = { topic: this.topic, partitions: [0], partition: 0 }
    const attempt = async () => {
      try {
        await this.handler(
          batch.map((p) => p.message),
          context,
        )
      } catch (error) {
        this.onError?.(error, this.topic, this.group)
        throw error
      }
    }
    // Close drains the queue: a batch taken after it still gets its one attempt.
    const options: RetryOptions = this.closed ? { ...this.backoff, attempts: 1 } : { ...this.backoff, signal: this.stopping.signal }
    try {
      await retry(attempt, options)
    } catch {
      return
    }
    for (const { tracker } of batch) {
      if (--tracker.remaining === 0) tracker.resolve()
    }
  }
}

export class MemoryBus<T extends TopicMap> implements Bus<T> {
  readonly kind = 'memory' as const
  private readonly groups = new Map<Topic, Map<string, GroupQueue>>()
  private readonly maxQueue: number

  constructor(private readonly options: MemoryBusOptions = {}) {
    this.maxQueue = options.maxQueue ?? 100_000
  }

  async publish<K extends keyof T & string>(topic: K, messages: BusMessage<T[K]>[]): Promise<void> {
    const groups = [...(this.groups.get(topic)?.values() ?? [])]
    if (groups.length === 0 || messages.length === 0) return
    await new Promise<void>((resolve, reject) => {
      const tracker: Tracker = { remaining: groups.length * messages.length, resolve }
      const pushes = groups.map((group) => group.push(messages.map((message) => ({ message, tracker }))))
      Promise.all(pushes).catch(reject)
    })
  }

  async subscribe<K extends keyof T & string>(
    topic: K,
    options: SubscribeOptions,
    handler: BatchHandler<T[K]>,
  ): Promise<Subscription> {
    let byGroup = this.groups.get(topic)
    if (!byGroup) this.groups.set(topic, (byGroup = new Map()))
    if (byGroup.has(options.group)) {
      throw new Error(`in-process bus: group "${options.group}" already subscribed to "${topic}"`)
    }
    await options.onAssigned?.([0])
    const queue = new GroupQueue(
      topic,
      options.group,
      handler as BatchHandler<unknown>,
      options.maxBatch ?? 5_000,
      this.maxQueue,
      this.options.retry ?? HANDLER_BACKOFF,
      this.options.onHandlerError,
      options.maxInflightBatches ?? 1,
    )
    byGroup.set(options.group, queue)
    return {
      caughtUp: Promise.resolve(),
      close: async () => {
        byGroup.delete(options.group)
        await queue.close()
      },
    }
  }

  /** Messages waiting per `topic/group`, for metrics. */
  depths(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [topic, groups] of this.groups) {
      for (const [group, queue] of groups) out[`${topic}/${group}`] = queue.depth
    }
    return out
  }

  async close(): Promise<void> {
    const all = [...this.groups.values()].flatMap((g) => [...g.values()])
    this.groups.clear()
    await Promise.all(all.map((q) => q.close()))
  }
}
