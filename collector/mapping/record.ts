/**
 * What the mapper hands the correlator: one record per span (or log record) with the events it
 * produced and what correlation needs to place them in their task.
 */
import type { PrivpathEvent } from '../../core/event.js'
import type { ContextAttribute } from './finish.js'
import type { Identity } from './identity.js'

/**
 * A mapped span (or log record) before correlation, as the collector publishes it on `spans`
 * (key = trace id) when correlation runs behind Kafka (collector/kafka/topics.ts).
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
  /** Bounded by the receive time like every event time (clock.ts). */
  startTs: number
  endTs: number
  /** The span's start and end as sent (RFC 3339) when the collector replaced them, else ''; task boundaries carry them. */
  startOriginal: string
  endOriginal: string
  /** events[0] is the span's (or record's) own event; every task_id is '' until the correlator resolves it. */
  events: PrivpathEvent[]
}

/** The record in process: its SpanRecordValue part is what travels on `spans`. */
export interface SpanRecord extends SpanRecordValue {
  /** The pipeline's bookkeeping; passed through untouched and never published. */
  origin: unknown
}

export interface MappingOptions {
  /** Tenant of the API key that sent the request; '' or absent when the request was not authenticated. */
  authTenant?: string
  /** When the collector received the request (epoch ms); defaults to now. */
  observedAt?: number
  /** Keep prompt, reasoning and tool-argument text (redacted). Default true. */
  captureContent?: boolean
  /** Longer content is cut (flag content_truncated). Default 4096; 0 keeps nothing. */
  maxContentChars?: number
  /** An event dated further past observedAt takes observedAt as its time (flag clock_skew). Default 5 min. */
  maxFutureSkewMs?: number
  /** The same before observedAt. Default 30 days (the default events TTL). */
  maxPastMs?: number
}

export const DEFAULT_MAX_CONTENT_CHARS = 4_096
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000
export const DEFAULT_MAX_PAST_MS = 30 * 86_400_000
/** Bounds on the stringified `attributes` map of an event. */
export const MAX_ATTRIBUTES = 64
export const MAX_ATTRIBUTE_CHARS = 1_024
/** The tenant of events from unauthenticated senders that claim none. */
export const DEFAULT_TENANT = 'default'
export const UNTRACED_TASK = 'untraced'

/** Read once per resource scope: the resource's identity fallbacks and the redacted context attributes. */
export interface ScopeShared {
  identity: Identity
  context: readonly ContextAttribute[]
  /** The resource's `service.name` as sent: an MCP server's own spans name their server by it (mcp.ts). */
  serviceName: string
}
