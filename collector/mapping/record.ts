/**
 * What the mapper hands the correlator: one record per span (or log record) with the events it
 * produced and what correlation needs to place them in their task.
 */
import type { SpanRecordValue } from '../../core/bus/bus.js'
import type { ContextAttribute } from './finish.js'
import type { Identity } from './identity.js'

/** The fields are documented on `SpanRecordValue` (core/bus/bus.ts), the form the record travels in on Kafka. */
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
}

export const DEFAULT_MAX_CONTENT_CHARS = 4_096
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
}
