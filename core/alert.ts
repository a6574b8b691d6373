/**
 * An alert: one rule firing on one dedup key inside one dedup window.
 *
 * The detector creates and updates alerts (repeats inside the window raise `count`), publishes
 * them on the bus topic `alerts`; the writer stores them (ClickHouse `alerts`, latest `updated_at`
 * wins) and the delivery service fans them out to sinks. `alert_id` is deterministic
 * (rule, dedup key, window start) so reprocessing the same events creates no second alert.
 */
import { createHash } from 'node:crypto'
import Type, { type Static } from 'typebox'

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

/**
 * What an alert asks of its reader: an `incident` is something that happened and wants a look
 * now; a `posture` finding is a standing gap in how the agents are set up (e.g. no policy engine),
 * one per gap with a count, to be fixed once rather than triaged per task.
 */
export const ALERT_CATEGORIES = ['incident', 'posture'] as const
export type AlertCategory = (typeof ALERT_CATEGORIES)[number]

export const FRAMEWORKS = ['owasp_agentic', 'maestro', 'owasp_nhi', 'mitre_atlas'] as const

export const AlertSchema = Type.Object({
  alert_id: Type.String(),
  rule_id: Type.String(),
  rule_title: Type.String(),
  severity: Type.Enum(SEVERITIES),
  /** The rule's category: `incident` (the default) or `posture`. */
  category: Type.Enum(ALERT_CATEGORIES),
  tenant_id: Type.String(),
  task_id: Type.String(),
  agent_id: Type.String(),
  summary: Type.String(),
  /** One line: prompt → tool `db.query` → tenant `acme` with credential `cred-…`. */
  path: Type.String(),
  dedup_key: Type.String(),
  event_ids: Type.Array(Type.String()),
  /** `scheme:id`, e.g. `owasp_agentic:T3`, `owasp_nhi:NHI5`. */
  frameworks: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  runbook: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  first_seen: Type.Number(),
  last_seen: Type.Number(),
  window_start: Type.Number(),
  /** Wall-clock time of this version of the alert; the store keeps the newest. */
  updated_at: Type.Number(),
})

export type Alert = Static<typeof AlertSchema>

/**
 * Deterministic per (domain, rule, dedup key, window): a replay updates the same alert, and two
 * isolation domains never share an id whatever their keys and times (the deployment's domain ''
 * keeps the ids it always had).
 */
export function alertId(ruleId: string, dedupKey: string, windowStart: number, domain = ''): string {
  const scope = domain === '' ? '' : `${domain}\u0000`
  return createHash('sha256').update(`${scope}${ruleId}\u0000${dedupKey}\u0000${windowStart}`).digest('hex').slice(0, 32)
}
