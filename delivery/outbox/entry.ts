/**
 * One outbox entry: what a sink still owes, plus enough history (version, attempts, last error)
 * to explain a dead letter. Entries are keyed by alert id, so a newer version of a pending alert
 * replaces the older one instead of queueing behind it.
 */
import { createHash } from 'node:crypto'
import type { Notification } from '../sink.js'

export interface OutboxEntry {
  id: string
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

function entryId(notification: Notification): string {
  return notification.kind === 'alert' ? notification.alert.alert_id : notification.digest.digest_id
}

export function newEntry(sink: string, notification: Notification, routes: string[], now: number): OutboxEntry {
  const alert = notification.kind === 'alert' ? notification.alert : undefined
  return {
    id: entryId(notification),
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

/** Positive when `a` is a newer version than `b`. */
export function compareVersions(a: { version: number; updated_at: number }, b: { version: number; updated_at: number }): number {
  return a.version - b.version || a.updated_at - b.updated_at
}

/** File names come from ids the detector makes; anything outside a safe alphabet is hashed. */
export function fileName(id: string): string {
  return /^[A-Za-z0-9_-]{1,100}$/.test(id) ? `${id}.json` : `h-${createHash('sha256').update(id).digest('hex')}.json`
}
