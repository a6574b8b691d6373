/**
 * The generic webhook's JSON body and signature (documented in docs/alerts.md; bump
 * `schema_version` on any incompatible change).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Alert } from '../../core/alert.js'
import type { Digest, Notification } from '../sink.js'

const WEBHOOK_SCHEMA_VERSION = 1

export interface AlertPayload {
  schema_version: number
  type: 'alert'
  test: boolean
  alert_id: string
  /** Number of times the incident was seen; a higher count is a newer version of the same alert. */
  count: number
  rule: { id: string; title: string; tags: string[]; runbook: string }
  severity: Alert['severity']
  /** `incident` or `posture` (a standing gap, one finding per gap). */
  category: Alert['category']
  tenant_id: string
  task_id: string
  agent_id: string
  summary: string
  path: string
  dedup_key: string
  frameworks: string[]
  event_ids: string[]
  first_seen: string
  last_seen: string
  updated_at: string
  links: { task: string | null }
}

export interface DigestPayload {
  schema_version: number
  type: 'digest'
  digest_id: string
  route: string
  /** The tenant whose alerts it holds; '' for digests queued before digests were per tenant. */
  tenant_id: string
  window_start: string
  window_end: string
  total: number
  omitted: number
  alerts: Array<Digest['items'][number] & { link: string | null }>
}

/**
 * The console page of the alert's task. It names the tenant: several tenants can use one task id,
 * and without one an admin key opens whichever of them was active last.
 */
export function taskLink(publicUrl: string, task: { task_id: string; tenant_id: string }): string | null {
  if (!publicUrl || !task.task_id) return null
  const tenant = task.tenant_id === '' ? '' : `?tenant=${encodeURIComponent(task.tenant_id)}`
  return `${publicUrl.replace(/\/+$/, '')}/tasks/${encodeURIComponent(task.task_id)}${tenant}`
}

const iso = (ms: number) => new Date(ms).toISOString()

export function webhookPayload(notification: Notification, publicUrl: string): AlertPayload | DigestPayload {
  if (notification.kind === 'digest') {
    const { digest } = notification
    return {
      schema_version: WEBHOOK_SCHEMA_VERSION,
      type: 'digest',
      digest_id: digest.digest_id,
      route: digest.route,
      tenant_id: digest.tenant_id ?? '',
      window_start: iso(digest.window_start),
      window_end: iso(digest.window_end),
      total: digest.total,
      omitted: digest.omitted,
      alerts: digest.items.map((item) => ({ ...item, link: taskLink(publicUrl, item) })),
    }
  }
  const { alert } = notification
  return {
    schema_version: WEBHOOK_SCHEMA_VERSION,
    type: 'alert',
    test: notification.test ?? false,
    alert_id: alert.alert_id,
    count: alert.count,
    rule: { id: alert.rule_id, title: alert.rule_title, tags: alert.tags, runbook: alert.runbook },
    severity: alert.severity,
    category: alert.category,
    tenant_id: alert.tenant_id,
    task_id: alert.task_id,
    agent_id: alert.agent_id,
    summary: alert.summary,
    path: alert.path,
    dedup_key: alert.dedup_key,
    frameworks: alert.frameworks,
    event_ids: alert.event_ids,
    first_seen: iso(alert.first_seen),
    last_seen: iso(alert.last_seen),
    updated_at: iso(alert.updated_at),
    links: { task: taskLink(publicUrl, alert) },
  }
}

export const SIGNATURE_HEADER = 'X-Privpath-Signature'

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')
  return `t=${unixSeconds},v1=${mac}`
}

/** The receiver side, as documented: true when a v1 signature matches and `t` is within tolerance. */
export function verifySignature(
  secret: string,
  body: string,
  header: string | undefined,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false
  const parts = new Map<string, string[]>()
  for (const piece of header.split(',')) {
    const [key, value] = piece.split('=', 2)
    if (key && value) parts.set(key.trim(), [...(parts.get(key.trim()) ?? []), value.trim()])
  }
  const t = Number(parts.get('t')?.[0])
  if (!Number.isInteger(t)) return false
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'))
  return (parts.get('v1') ?? []).some((candidate) => {
    const given = Buffer.from(candidate)
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
