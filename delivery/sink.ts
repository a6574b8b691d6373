/**
 * What a sink is: something that turns one notification (an alert version, or a digest of alerts
 * a rate-limited route folded together) into one outbound message and says how it went.
 * Sinks never retry on their own; the outbox worker decides from the outcome.
 */
import type { Alert } from '../core/alert.js'

export interface DigestItem {
  alert_id: string
  rule_id: string
  rule_title: string
  severity: Alert['severity']
  tenant_id: string
  task_id: string
  summary: string
  count: number
}

/** Alerts a rate-limited route held back during one window, sent as one message. */
export interface Digest {
  digest_id: string
  route: string
  /** The tenant whose alerts it holds (rate limits count per route and tenant); absent from digests queued before they did. */
  tenant_id?: string
  window_start: number
  window_end: number
  /** How many alert versions were folded in (may exceed `items.length` when versions coalesced). */
  total: number
  /** The most severe alerts of the window (at most MAX_DIGEST_ITEMS), most severe first. */
  items: DigestItem[]
  /** Distinct alerts of the window left out of `items` to bound the message. */
  omitted: number
}

export type Notification = { kind: 'alert'; alert: Alert; test?: boolean } | { kind: 'digest'; digest: Digest }

export interface SendContext {
  /** 1 for the first try. */
  attempt: number
  /** Stable across retries of the same content; differs when the content differs. */
  idempotencyKey: string
  /** Aborts the request when the sink's timeout elapses or delivery stops. */
  signal: AbortSignal
  /** Console base URL for links; empty when not configured. */
  publicUrl: string
}

export type SendOutcome =
  | { status: 'delivered'; detail?: string }
  /** Worth trying again; `retryAfterMs` when the receiver said when. */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** Trying again cannot help (bad request, revoked token): straight to the dead letter. */
  | { status: 'permanent'; error: string }

export interface Sink {
  readonly name: string
  readonly type: string
  send(notification: Notification, context: SendContext): Promise<SendOutcome>
  close?(): Promise<void>
}

/**
 * An alert's identity in delivery: its tenant and its id. Outbox entries, the memory of what was
 * delivered and idempotency keys are all keyed by it, so two tenants whose alerts share an id
 * (same rule, dedup key and window) never share any of them. Tenant '' keeps the bare id it always
 * had; the tenant is URI-encoded (no '/') and alert ids are hex, so no two pairs give one key.
 */
export function alertKey(alert: Pick<Alert, 'tenant_id' | 'alert_id'>): string {
  return alert.tenant_id === '' ? alert.alert_id : `${encodeURIComponent(alert.tenant_id)}/${alert.alert_id}`
}

export function idempotencyKey(notification: Notification): string {
  if (notification.kind === 'digest') return notification.digest.digest_id
  return `${alertKey(notification.alert)}:${notification.alert.count}`
}

/** For tests and dry runs: records what it was given and answers with scripted outcomes. */
export class MemorySink implements Sink {
  readonly type = 'memory'
  readonly received: Array<{ notification: Notification; context: Omit<SendContext, 'signal'> }> = []
  private readonly script: SendOutcome[]

  constructor(
    readonly name: string,
    script: SendOutcome[] = [],
  ) {
    this.script = [...script]
  }

  async send(notification: Notification, context: SendContext): Promise<SendOutcome> {
    const { signal: _signal, ...rest } = context
    this.received.push({ notification, context: rest })
    return this.script.shift() ?? { status: 'delivered' }
  }
}
