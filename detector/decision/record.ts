/**
 * Every decision becomes an `authz_decision` event in its task (engine `privpath`, the decision
 * id in `attributes`), published like the collector's events: the trace shows it beside the step
 * it judged, and the detector counts it as that step's decision. The answer given is the result;
 * what was decided, and why, are attributes. Arguments are not recorded:
 * they were judged, not stored.
 */
import { randomBytes } from 'node:crypto'
import { emptyEvent, eventId, type PrivpathEvent } from '../../core/event.js'
import type { PolicyDenial } from './policy-input.js'
import type { RuleFinding } from './judge.js'

export interface DecisionRecord {
  id: string
  call: PrivpathEvent
  decision: boolean
  verdict: 'allow' | 'deny'
  mode: 'enforce' | 'shadow'
  stale: boolean
  rules: RuleFinding[]
  policies: PolicyDenial[]
  observedAt: number
  /**
   * The decision's time in the agent's clock: the task's latest step (else the server's time), so
   * the executed call, whose span starts after it, is judged as after the decision whatever the
   * skew between the agent's clock and the server's.
   */
  ts: number
}

export function decisionEvent(record: DecisionRecord): PrivpathEvent {
  const { call } = record
  // a span of its own, child of the span the decision depended on, in the call's trace
  const spanId = randomBytes(8).toString('hex')
  const traceId = call.trace_id !== '' ? call.trace_id : randomBytes(16).toString('hex')
  const event = emptyEvent()
  event.event_id = eventId(traceId, spanId, 'authz_decision', 0)
  event.kind = 'authz_decision'
  event.source = 'privpath'
  event.name = 'privpath.decision'
  event.ts = record.ts
  event.observed_at = record.observedAt
  event.tenant_id = call.tenant_id
  event.domain = call.domain
  event.task_id = call.task_id
  event.trace_id = traceId
  event.span_id = spanId
  event.parent_span_id = call.parent_span_id
  event.agent_id = call.agent_id
  event.agent_name = call.agent_name
  event.workload_id = call.workload_id
  event.tool_name = call.tool_name
  event.target_resource = call.target_resource
  event.target_tenant = call.target_tenant
  event.credential_id = call.credential_id
  // a deny answered as allow (shadow) is neither: recorded as allow it would overturn an earlier
  // deny by another engine, as deny it would make the executed call an action after a deny
  event.authz_result = record.verdict === 'deny' && record.decision ? '' : record.decision ? 'allow' : 'deny'
  event.authz_engine = 'privpath'
  event.authz_action = call.tool_name
  event.authz_resource = call.target_resource !== '' ? call.target_resource : call.tool_name
  const denying = [...record.rules.filter((r) => r.enforce === 'deny').map((r) => r.id), ...record.policies.map((p) => p.id)]
  event.authz_policy = denying.join(',')
  event.attributes = {
    'privpath.decision.id': record.id,
    'privpath.decision.mode': record.mode,
    'privpath.decision.verdict': record.verdict,
    'privpath.decision.stale': String(record.stale),
    'privpath.decision.rules': record.rules.map((r) => `${r.id}:${r.enforce}`).join(','),
    'privpath.decision.policies': record.policies.map((p) => p.id).join(','),
  }
  return event
}
