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
 * A mapped span (or log record) before correlation, as the collector publishes it on `spans`
 * (key = trace id) when correlation runs behind Kafka; mirrors the collector's SpanRecord.
 */
export interface SpanRecordValue {
  /** 'span' registers itself so descendants inherit its task; 'log' attaches to the span it was emitted in (`spanId`). */
  signal: 'span' | 'log'
  /** The tenant the events are stamped with (authenticated, else claimed, else 'default'). */
  tenantId: string
  /** Correlation scope: the authenticated tenant, '' for unauthenticated requests. Spans only inherit within one scope. */
  authTenant: string
  /** False when tenantId is only the 'default' fallback: the correlator then gives the span its parent's tenant. */
  tenantSettled: boolean
  traceId: string
  spanId: string
  /** '' for root spans and for log records. */
  parentSpanId: string
  /** From `agent.task.id` (or its baggage / association-property forms); '' when absent. */
  explicitTaskId: string
  /** Where the events go when nothing better is known: conversation or session id, else trace id, else 'untraced'. */
  fallbackTaskId: string
  /** The span's own agent (`gen_ai.agent.id`, falling back to its name); '' when the span names none. */
  agentId: string
  agentName: string
  /** An invoke_agent (or AGENT / agent) span: a delegation when its agent differs from its parent's. */
  invokesAgent: boolean
  delegatedScopes: string[]
  startTs: number
  endTs: number
  /** events[0] is the span's (or record's) own event; every task_id is '' until the correlator resolves it. */
  events: PrivpathEvent[]
}

export interface TopicValues {
  events: PrivpathEvent
  credentials: PrivpathEvent
  alerts: Alert
  spans: SpanRecordValue
}
export type Topic = keyof TopicValues
export const TOPICS: readonly Topic[] = ['events', 'credentials', 'alerts', 'spans']

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

export type BatchHandler<T extends Topic> = (messages: BusMessage<T>[], context: BatchContext) => Promise<void>

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

export interface Bus {
  readonly kind: 'memory' | 'kafka'
  publish<T extends Topic>(topic: T, messages: BusMessage<T>[]): Promise<void>
  subscribe<T extends Topic>(topic: T, options: SubscribeOptions, handler: BatchHandler<T>): Promise<Subscription>
  close(): Promise<void>
}
