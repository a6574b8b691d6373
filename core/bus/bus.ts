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

export interface TopicValues {
  events: PrivpathEvent
  credentials: PrivpathEvent
  alerts: Alert
}
export type Topic = keyof TopicValues
export const TOPICS: readonly Topic[] = ['events', 'credentials', 'alerts']

export interface BusMessage<T extends Topic = Topic> {
  key: string
  value: TopicValues[T]
}

export interface SubscribeOptions {
  /** Consumer group: every group sees every message; members of one group share partitions. */
  group: string
  /** Start from the earliest retained message when the group has no committed offset. */
  fromBeginning?: boolean
  /** Largest batch handed to the handler at once. */
  maxBatch?: number
}

export interface BatchContext {
  topic: Topic
  /** Partitions this member owns right now (Kafka); `[0]` for the in-process bus. */
  partitions: readonly number[]
}

export type BatchHandler<T extends Topic> = (messages: BusMessage<T>[], context: BatchContext) => Promise<void>

export interface Subscription {
  /** Resolves when the subscription has caught up with what was published before it started. */
  readonly caughtUp: Promise<void>
  close(): Promise<void>
}

export interface Bus {
  readonly kind: 'memory' | 'kafka'
  publish<T extends Topic>(topic: T, messages: BusMessage<T>[]): Promise<void>
  subscribe<T extends Topic>(topic: T, options: SubscribeOptions, handler: BatchHandler<T>): Promise<Subscription>
  close(): Promise<void>
}
