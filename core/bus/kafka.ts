/**
 * The bus on Kafka (kafkajs), for deployments where collectors, writers and detectors run as
 * separate processes and scale by running more copies.
 *
 * In: the `bus.kafka` section. Out: topics `<prefix><topic>` with JSON values; `publish` resolves
 * when every in-sync replica has the messages (acks = -1). Each subscription is one consumer in
 * its group; a batch's offsets are committed only after the handler resolved for it, in order;
 * a handler failure hands the same messages again after a backoff (HANDLER_BACKOFF, bus.ts).
 * Topics are created by an operator or auto-created by the cluster: creation is attempted once
 * and its refusal tolerated.
 * Not here: the idempotent or transactional producer (not every cluster offers them), so a
 * publish retried after a lost acknowledgement may duplicate messages; consumers deduplicate by id.
 */
import { Kafka, type Admin, type EachBatchPayload, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { Counter, Gauge, type Registry } from 'prom-client'
import { PrivpathError } from '../errors.js'
import { type BackoffPolicy, retry, type RetryOptions, sharedAbort } from '../retry.js'
import type { BatchContext, BatchHandler, Bus, BusMessage, SubscribeOptions, Subscription, Topic, TopicMap } from './bus.js'
import { HANDLER_BACKOFF } from './bus.js'
import { DEFAULT_TIMING, kafkaClientConfig, topicName, type KafkaSectionConfig, type KafkaTiming } from './kafka-client.js'
import { waitForCaughtUp } from './kafka-progress.js'
import { replayPartitions } from './kafka-replay.js'

export interface KafkaBusOptions<T extends TopicMap> {
  config: KafkaSectionConfig
  /** The topics this bus carries: those it asks the cluster to create when it first subscribes. */
  topics: ReadonlyArray<keyof T & string>
  logger: Logger
  registry?: Registry
  timing?: Partial<KafkaTiming>
  /** Waits before a failed batch is handed to the handler again (default HANDLER_BACKOFF). */
  retry?: BackoffPolicy
  /** A publish not acknowledged within this fails (the collector then answers 503). */
  publishTimeoutMs?: number
}

interface BusMetrics {
  published: Counter<'topic'>
  publishFailures: Counter<'topic'>
  undecodable: Counter<'topic'>
  lag: Gauge<'topic' | 'group' | 'partition'>
}

function busMetrics(registry: Registry | undefined): BusMetrics {
  const registers = registry ? [registry] : []
  return {
    published: new Counter({ name: 'privpath_bus_published_total', help: 'Messages acknowledged by Kafka', labelNames: ['topic'], registers }),
    publishFailures: new Counter({ name: 'privpath_bus_publish_failures_total', help: 'Publishes Kafka did not acknowledge', labelNames: ['topic'], registers }),
    undecodable: new Counter({
      name: 'privpath_bus_undecodable_total',
      help: 'Messages skipped because their value is not JSON (logged with offset)',
      labelNames: ['topic'],
      registers,
    }),
    lag: new Gauge({ name: 'privpath_bus_consumer_lag', help: 'Messages behind the high-water mark at the last fetch', labelNames: ['topic', 'group', 'partition'], registers }),
  }
}

export class KafkaBus<T extends TopicMap> implements Bus<T> {
  readonly kind = 'kafka' as const
  private readonly kafka: Kafka
  private readonly timing: KafkaTiming
  private readonly metrics: BusMetrics
  private readonly subscriptions = new Set<Subscription>()
  private producer: Producer | undefined
  private connecting: Promise<Producer> | undefined
  private admin: Promise<Admin> | undefined
  private topicsEnsured = false
  private closed = false

  constructor(private readonly options: KafkaBusOptions<T>) {
    if (options.config.brokers.length === 0) {
      throw new PrivpathError('PP_ERR_CONFIG_INVALID', 'bus.kafka.brokers: at least one broker (host:port) is required when bus.kind is "kafka"')
    }
    this.kafka = new Kafka(kafkaClientConfig(options.config, options.logger))
    this.timing = {
      ...DEFAULT_TIMING,
      sessionTimeoutMs: options.config.session_timeout_ms ?? DEFAULT_TIMING.sessionTimeoutMs,
      heartbeatIntervalMs: options.config.heartbeat_interval_ms ?? DEFAULT_TIMING.heartbeatIntervalMs,
      maxWaitTimeMs: options.config.max_wait_ms ?? DEFAULT_TIMING.maxWaitTimeMs,
      ...options.timing,
    }
    this.metrics = busMetrics(options.registry)
  }

  topic(topic: Topic): string {
    return topicName(this.options.config, topic)
  }

  async publish<K extends keyof T & string>(topic: K, messages: BusMessage<T[K]>[]): Promise<void> {
    if (messages.length === 0) return
    const name = this.topic(topic)
    try {
      const producer = await this.connectedProducer()
      const send = producer.send({
        topic: name,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value) })),
      })
      await withTimeout(send, this.options.publishTimeoutMs ?? this.options.config.publish_timeout_ms ?? 10_000, `Kafka did not acknowledge ${messages.length} messages on ${name}`)
      this.metrics.published.inc({ topic }, messages.length)
    } catch (error) {
      this.metrics.publishFailures.inc({ topic })
      throw new PrivpathError('PP_ERR_UNAVAILABLE', `Kafka publish to ${name} failed: ${(error as Error).message}`, { cause: error, retryAfterSeconds: 5 })
    }
  }

  async subscribe<K extends keyof T & string>(topic: K, options: SubscribeOptions, handler: BatchHandler<T[K]>): Promise<Subscription> {
    const name = this.topic(topic)
    // One Kafka group per (group, topic): kafkajs assigns a group's partitions across all its members
    // whatever each subscribed to, so a writer consuming two topics needs two groups.
    const groupId = kafkaGroupId(options.group, topic)
    const log = this.options.logger.child({ topic: name, group: groupId })
    await this.ensureTopics()
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.timing.sessionTimeoutMs,
      heartbeatInterval: this.timing.heartbeatIntervalMs,
      maxWaitTimeInMs: this.timing.maxWaitTimeMs,
      rebalanceTimeout: Math.max(this.timing.sessionTimeoutMs, 10_000),
      allowAutoTopicCreation: true,
    })
    let owned: readonly number[] = []
    let assigned: Promise<void> = Promise.resolve()
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      owned = [...(event.payload.memberAssignment[name] ?? [])].sort((a, b) => a - b)
      log.info({ partitions: owned }, 'partitions assigned')
      const hook = options.onAssigned
      if (hook) {
        assigned = assigned
          .then(() => hook(owned))
          .catch((error: unknown) => log.error({ err: error, partitions: owned }, 'rebuilding state for assigned partitions failed'))
      }
    })
    // Aborted on close: handlers that keep failing stop retrying.
    // Shared by the retries of every partition and batch in flight.
    const stopping = sharedAbort()
    const maxBatch = Math.max(1, options.maxBatch ?? 5_000)
    const maxInflight = Math.max(1, options.maxInflightBatches ?? 1)
    const chains = new Map<number, { tail: Promise<void>; inflight: Array<Promise<void>> }>()

    const backoff = this.options.retry ?? HANDLER_BACKOFF
    const handleChunk = async (messages: BusMessage<T[K]>[], context: BatchContext): Promise<void> => {
      const onRetry = (error: unknown, attempt: number, delayMs: number) =>
        log.warn({ err: error, partition: context.partition, messages: messages.length, attempt, delayMs }, 'bus handler failed; redelivering')
      // A chunk handed over while closing still gets its one attempt.
      const policy: RetryOptions = stopping.signal.aborted ? { ...backoff, attempts: 1 } : { ...backoff, signal: stopping.signal, onRetry }
      await retry(() => handler(messages, context), policy)
    }
    const commit = async (partition: number, nextOffset: bigint): Promise<void> => {
      try {
        await consumer.commitOffsets([{ topic: name, partition, offset: nextOffset.toString() }])
      } catch (error) {
        // After a rebalance the new owner redelivers from the last commit: at-least-once holds.
        log.warn({ err: error, partition }, 'offset commit failed; the batch will be redelivered')
      }
    }

    const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
      await assigned
      const partition = batch.partition
      const chain = chains.get(partition) ?? { tail: Promise.resolve(), inflight: [] }
      chains.set(partition, chain)
      if (batch.messages.length > 0) {
        const last = BigInt(batch.lastOffset())
        this.metrics.lag.set({ topic, group: options.group, partition: String(partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - last - 1n)))
      }
      for (let start = 0; start < batch.messages.length; start += maxBatch) {
        if (!isRunning() || isStale()) return
        const slice = batch.messages.slice(start, start + maxBatch)
        const decoded: BusMessage<T[K]>[] = []
        for (const message of slice) {
          try {
            decoded.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') as T[K] })
          } catch (error) {
            this.metrics.undecodable.inc({ topic })
            log.error({ err: error, partition, offset: message.offset }, 'message value is not JSON; skipped')
          }
        }
        const next = BigInt(slice[slice.length - 1].offset) + 1n
        const context: BatchContext = { topic, partitions: owned, partition }
        const handled = decoded.length > 0 ? handleChunk(decoded, context) : Promise.resolve()
        const settled = handled.catch(() => undefined)
        chain.inflight.push(settled)
        void settled.then(() => chain.inflight.splice(chain.inflight.indexOf(settled), 1))
        chain.tail = chain.tail.then(async () => {
          await handled
          await commit(partition, next)
        })
        chain.tail.catch(() => undefined)
        resolveOffset(slice[slice.length - 1].offset)
        if (maxInflight === 1) await chain.tail.catch(() => undefined)
        while (chain.inflight.length >= maxInflight) {
          await Promise.race(chain.inflight)
          await heartbeat().catch(() => undefined)
        }
      }
      await heartbeat().catch(() => undefined)
    }

    let caughtUpStopped = false
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [name], fromBeginning: options.fromBeginning ?? false })
      const admin = await this.connectedAdmin()
      const highs = await admin.fetchTopicOffsets(name)
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 8, eachBatch })
      const caughtUp = waitForCaughtUp({
        admin,
        group: groupId,
        topic: name,
        highs,
        fromBeginning: options.fromBeginning ?? false,
        stopped: () => caughtUpStopped,
      })
      caughtUp.catch(() => undefined)
      const subscription: Subscription = {
        caughtUp,
        close: async () => {
          if (!this.subscriptions.delete(subscription)) return
          caughtUpStopped = true
          // Handlers that keep failing stop retrying; their batches stay uncommitted for the next member.
          stopping.abort(new Error(`Kafka subscription to ${name} (group ${groupId}) closed`))
          await consumer.stop()
          await Promise.all([...chains.values()].map((c) => c.tail.catch(() => undefined)))
          await consumer.disconnect()
        },
      }
      this.subscriptions.add(subscription)
      return subscription
    } catch (error) {
      stopping.abort(error)
      caughtUpStopped = true
      await consumer.disconnect().catch(() => undefined)
      throw new PrivpathError('PP_ERR_UNAVAILABLE', `Kafka subscribe to ${name} (group ${options.group}) failed: ${(error as Error).message}`, { cause: error })
    }
  }

  /**
   * What `group` already handled on `partitions` of `topic` since `sinceMs` (up to its committed
   * offsets), read by a throwaway consumer: state a member rebuilds when it gains partitions.
   * `sinceMs` undefined reads the whole retained partition.
   */
  async replay<K extends keyof T & string>(topic: K, group: string, partitions: readonly number[], sinceMs: number | undefined): Promise<Array<T[K]>> {
    const values = await replayPartitions({
      kafka: this.kafka,
      admin: await this.connectedAdmin(),
      logger: this.options.logger,
      topic: this.topic(topic),
      groupId: kafkaGroupId(group, topic),
      partitions,
      sinceMs,
    })
    return values as Array<T[K]>
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()))
    await this.producer?.disconnect().catch(() => undefined)
    const admin = await this.admin?.catch(() => undefined)
    await admin?.disconnect().catch(() => undefined)
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer
    // A failed connect is forgotten so the next publish tries again (the collector keeps answering 503 meanwhile).
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: false, allowAutoTopicCreation: true })
      try {
        await producer.connect()
      } catch (error) {
        await producer.disconnect().catch(() => undefined)
        throw error
      }
      this.producer = producer
      return producer
    })().finally(() => (this.connecting = undefined))
    return this.connecting
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin()
      await admin.connect()
      return admin
    })()
    this.admin.catch(() => (this.admin = undefined))
    return this.admin
  }

  /** Asks once for the topics; clusters that refuse CreateTopics auto-create them or have them already. */
  private async ensureTopics(): Promise<void> {
    if (this.topicsEnsured) return
    this.topicsEnsured = true
    try {
      const admin = await this.connectedAdmin()
      await withTimeout(admin.createTopics({ topics: this.options.topics.map((t) => ({ topic: this.topic(t) })), waitForLeaders: true }), 5_000, 'CreateTopics timed out')
    } catch (error) {
      this.options.logger.debug({ err: error }, 'topics not created by privpath (existing or auto-created by the cluster)')
    }
  }
}

export function kafkaGroupId(group: string, topic: Topic): string {
  return `${group}.${topic}`
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
