/**
 * The bus: how collector, writer and detector talk without importing each other.
 *
 * Topics carry JSON-serialisable values with a partition key (task id for events, credential id
 * for credentials, alert id for alerts). `publish` resolves once the messages are durable in the
 * bus: acknowledged by Kafka, or, for the in-process bus (which keeps nothing on disk), handled by
 * every subscribed group. Handlers receive batches; resolving a handler commits the batch
 * (at-least-once), rejecting it redelivers.
 */
import type { Alert } from '../alert.js'
import type { PrivpathEvent } from '../event.js'
import type { BackoffPolicy } from '../retry.js'

/**
 * What each topic carries, by topic name. A component types its bus with the topics it uses, so
 * the in-process bus and Kafka carry topics core knows nothing about (the collector's `spans`).
 * Declared with `type`, not `interface`: an interface has no index signature to satisfy this.
 */
export type TopicMap = Record<string, unknown>

/** The topics between components: the collector's output, and the detector's alerts. */
export type CoreTopics = {
  events: PrivpathEvent
  credentials: PrivpathEvent
  alerts: Alert
}
export const CORE_TOPICS: ReadonlyArray<keyof CoreTopics> = ['events', 'credentials', 'alerts']

/** A topic's name, without the Kafka prefix. */
export type Topic = string

export interface BusMessage<V> {
  key: string
  value: V
}

export interface SubscribeOptions {
  /** Consumer group: every group sees every message; members of one group share partitions. */
  group: string
  /** Start from the earliest retained message when the group has no committed offset. */
  fromBeginning?: boolean
  /** Largest batch handed to the handler at once. */
  maxBatch?: number
  /**
   * Batches of one partition handed to the handler before the earlier ones resolved (default 1).
   * Kafka commits stay in order (a failed batch redelivers it and everything after it); the
   * in-process bus retries a failed batch on its own while later ones go on.
   */
  maxInflightBatches?: number
  /**
   * Called with the partitions this member owns after every rebalance, before any batch of them
   * is handed over (Kafka); lets a consumer rebuild per-partition state. `[0]` once in process.
   */
  onAssigned?: (partitions: readonly number[]) => Promise<void> | void
}

export interface BatchContext {
  topic: Topic
  /** Partitions this member owns right now (Kafka); `[0]` for the in-process bus. */
  partitions: readonly number[]
  /** Partition these messages come from (Kafka); 0 for the in-process bus. */
  partition?: number
}

export type BatchHandler<V> = (messages: BusMessage<V>[], context: BatchContext) => Promise<void>

/**
 * Waits before either bus hands a failed batch to its handler again (core/retry.ts): a handler
 * whose store is back gets the batch within a fraction of a second, one whose store stays down is
 * asked every few seconds, not hammered.
 */
export const HANDLER_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5_000 }

export interface Subscription {
  /** Resolves when the subscription has caught up with what was published before it started. */
  readonly caughtUp: Promise<void>
  close(): Promise<void>
}

/**
 * A bus carrying the topics of `T`. A bus of more topics stands in for one of fewer (the process's
 * bus is handed to every component), never the reverse.
 */
export interface Bus<T extends TopicMap> {
  readonly kind: 'memory' | 'kafka'
  publish<K extends keyof T & string>(topic: K, messages: BusMessage<T[K]>[]): Promise<void>
  subscribe<K extends keyof T & string>(topic: K, options: SubscribeOptions, handler: BatchHandler<T[K]>): Promise<Subscription>
  close(): Promise<void>
}
