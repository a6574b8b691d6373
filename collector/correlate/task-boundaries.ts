/**
 * Events the correlator adds or rewrites once a span's parent is known: task_start / task_end
 * for a task's root span, and the delegation an invoke_agent span stands for.
 */
import { emptyEvent, eventId, type PrivpathEvent } from '../../core/event.js'
import type { SpanRecord } from '../mapping/index.js'
import type { Placement } from './known-spans.js'

function boundary(own: PrivpathEvent, kind: 'task_start' | 'task_end', ts: number, seq: number): PrivpathEvent {
  const event: PrivpathEvent = {
    ...emptyEvent(),
    kind,
    ts,
    seq,
    observed_at: own.observed_at,
    tenant_id: own.tenant_id,
    task_id: own.task_id,
    trace_id: own.trace_id,
    span_id: own.span_id,
    parent_span_id: own.parent_span_id,
    agent_id: own.agent_id,
    agent_name: own.agent_name,
    workload_id: own.workload_id,
    user_id: own.user_id,
    source: own.source,
    name: own.name,
    status: kind === 'task_end' ? own.status : 'unset',
    error: kind === 'task_end' ? own.error : '',
    flags: own.flags.filter((flag) => flag === 'tenant_mismatch'),
    attributes: own.attributes['tenant.claimed'] === undefined ? {} : { 'tenant.claimed': own.attributes['tenant.claimed'] },
  }
  event.event_id = eventId(event.trace_id, event.span_id, kind, seq, 0)
  return event
}

/** Adds task_start (span start, seq 0) and task_end (span end, after every span event) unless the span sent its own. */
export function addTaskBoundaries(record: SpanRecord): void {
  const own = record.events[0]
  if (own === undefined || record.events.some((event) => event.kind === 'task_start' || event.kind === 'task_end')) return
  const lastSeq = record.events.reduce((max, event) => Math.max(max, event.seq), 0)
  record.events.unshift(boundary(own, 'task_start', record.startTs, 0))
  record.events.push(boundary(own, 'task_end', record.endTs, lastSeq + 1))
}

/** An invoke_agent span whose agent differs from its parent's effective agent is a delegation by the parent's agent. */
export function isDelegation(record: SpanRecord, parent: Placement | undefined): parent is Placement {
  return record.invokesAgent && parent !== undefined && parent.agentId !== '' && record.agentId !== '' && record.agentId !== parent.agentId
}

export function markDelegation(record: SpanRecord, parent: Placement): void {
  const own = record.events[0]
  own.kind = 'delegation'
  own.agent_id = parent.agentId
  own.agent_name = parent.agentName
  own.delegate_agent_id = record.agentId
  own.delegate_agent_name = record.agentName
  own.delegated_scopes = [...record.delegatedScopes]
  if (parent.taskId !== own.task_id) own.attributes['delegator.task.id'] = parent.taskId
  own.event_id = eventId(own.trace_id, own.span_id, 'delegation', own.seq, 0)
}
