/**
 * One outbox entry: what a sink still owes, plus enough history (version, attempts, last error)
 * to explain a dead letter. Entries are keyed by tenant and alert id, so a newer version of a
 * pending alert replaces the older one instead of queueing behind it, and never another tenant's.
 */
import { createHash } from 'node:crypto'
import { alertKey, type Notification } from '../sink.js'

export interface OutboxEntry {
  /** The alert or digest id. */
  id: string
  /**
   * What the outbox keys the entry by (its file, its place in the queue): `alertKey` of the alert,
   * or the digest id, which is already per tenant. Files written before it existed lack it: see `keyed`.
   */
  key: string
  sink: string
  notification: Notification
  /** Routes that sent it here, for the API and the dead letter. */
  routes: string[]
  /** Alert `count` (1 for digests and test alerts). */
  version: number
  /** Alert `updated_at` (or creation time), the tie-breaker between versions of equal count. */
  updated_at: number
  attempts: number
  /** Older versions this entry replaced before they were delivered. */
  coalesced: number
  enqueued_at: number
  next_attempt_at: number
  last_attempt_at: number
  last_error: string
  dead_at: number
}

function identity(notification: Notification): { id: string; key: string } {
  if (notification.kind === 'digest') return { id: notification.digest.digest_id, key: notification.digest.digest_id }
  return { id: notification.alert.alert_id, key: alertKey(notification.alert) }
}

export function newEntry(sink: string, notification: Notification, routes: string[], now: number): OutboxEntry {
  const alert = notification.kind === 'alert' ? notification.alert : undefined
  return {
    ...identity(notification),
    sink,
    notification,
    routes,
    version: alert?.count ?? 1,
    updated_at: alert?.updated_at ?? now,
    attempts: 0,
    coalesced: 0,
    enqueued_at: now,
    next_attempt_at: now,
    last_attempt_at: 0,
    last_error: '',
    dead_at: 0,
  }
}

/**
 * An entry read from disk. One written before entries had keys stays under its id, the name of
 * its file, so it is still replaced, sent and removed as one entry; a newer version of its alert
 * that arrives under the tenant's key is a separate entry (both are sent).
 */
export function keyed(entry: OutboxEntry): OutboxEntry {
  return typeof entry.key === 'string' && entry.key !== '' ? entry : { ...entry, key: entry.id }
}

/** Positive when `a` is a newer version than `b`. */
export function compareVersions(a: { version: number; updated_at: number }, b: { version: number; updated_at: number }): number {
  return a.version - b.version || a.updated_at - b.updated_at
}

/** File names come from entry keys, made of ids the detector makes and tenants; anything outside a safe alphabet is hashed. */
export function fileName(key: string): string {
  return /^[A-Za-z0-9_-]{1,100}$/.test(key) ? `${key}.json` : `h-${createHash('sha256').update(key).digest('hex')}.json`
}
