/**
 * Events the correlator adds or rewrites once a span's parent is known: task_start (and, for a
 * task that is its trace, task_end) for a task's root span, and the delegation an invoke_agent
 * span stands for.
 */
import { emptyEvent, eventId, type PrivpathEvent } from '../../core/event.js'
import { ORIGINAL_TS_ATTRIBUTE, type SpanRecord } from '../mapping/index.js'
import type { Placement } from './known-spans.js'

/** What a task boundary takes from the root span's own event; everything else stays empty. */
const FROM_ROOT = ['observed_at', 'tenant_id', 'domain', 'task_id', 'trace_id', 'span_id', 'parent_span_id', 'agent_id', 'agent_name', 'workload_id', 'user_id', 'source', 'name'] as const

function copyField<K extends keyof PrivpathEvent>(to: PrivpathEvent, from: PrivpathEvent, key: K): void {
  to[key] = from[key]
}

/** `original`: the span's start or end as sent when the collector's clock replaced it ('' when kept; absent from older collectors). */
function boundary(own: PrivpathEvent, kind: 'task_start' | 'task_end', ts: number, seq: number, original: string | undefined): PrivpathEvent {
  const event = emptyEvent()
  for (const key of FROM_ROOT) copyField(event, own, key)
  event.kind = kind
  event.ts = ts
  event.seq = seq
  if (kind === 'task_end') {
    event.status = own.status
    event.error = own.error
  }
  if (own.flags.includes('tenant_mismatch')) event.flags.push('tenant_mismatch')
  const claimed = own.attributes['tenant.claimed']
  if (claimed !== undefined) event.attributes['tenant.claimed'] = claimed
  if (original) {
    event.flags.push('clock_skew')
    event.attributes[ORIGINAL_TS_ATTRIBUTE] = original
  }
  event.event_id = eventId(event.trace_id, event.span_id, kind, seq, 0)
  return event
}

/**
 * Adds task_start (span start, seq 0) unless the span declares its own start or is itself an
 * `agent.task.end`, and task_end (span end, after every span event) only for a task that is its
 * trace (`taskId` is the trace id) and whose root declares neither boundary. A task named by an
 * explicit id or a conversation id spans several traces, one per turn: the end of one trace is
 * not the end of the task, which ends on an explicit `agent.task.end`, or in the detector after
 * its inactivity period. Each turn's root still gets a task_start: the collector cannot tell the
 * first turn (turns of one task may be correlated by different members), and a repeated start
 * changes nothing the detector keeps (its `started_at` keeps the first). Start and end are
 * already bounded by the receive time (mapping/clock.ts).
 *
 * A root span of no kind of its own (kind `other`, e.g. `invoke_agent`) becomes the task_start
 * itself rather than getting one beside it: the two would share ts, seq, name and identity, the
 * `other` row only adding the span's status and attributes, which the task_start now keeps.
 */
export function addTaskBoundaries(record: SpanRecord, taskId: string): void {
  const own = record.events[0]
  if (own === undefined) return
  const declaresStart = record.events.some((event) => event.kind === 'task_start')
  const declaresEnd = record.events.some((event) => event.kind === 'task_end')
  const lastSeq = record.events.reduce((max, event) => Math.max(max, event.seq), 0)
  if (!declaresStart && !declaresEnd && taskId === record.traceId) record.events.push(boundary(own, 'task_end', record.endTs, lastSeq + 1, record.endOriginal))
  if (declaresStart || own.kind === 'task_end') return
  if (own.kind === 'other') {
    own.kind = 'task_start'
    own.event_id = eventId(own.trace_id, own.span_id, 'task_start', own.seq, 0)
  } else {
    record.events.unshift(boundary(own, 'task_start', record.startTs, 0, record.startOriginal))
  }
}

/**
 * A span that names its agent by name only (the GenAI conventions give internal agent spans no
 * `gen_ai.agent.id`) under a span of the agent of that name known by its id (e.g. the CLIENT
 * `invoke_agent` span that called it): the same agent.
 */
function sameAgentByName(record: SpanRecord, parent: Placement): boolean {
  return record.agentName !== '' && record.agentId === record.agentName && parent.agentName === record.agentName && parent.agentId !== record.agentId
}

/** Such a span's events (and the spans under it) take the agent's id from the parent. */
export function adoptAgentId(record: SpanRecord, parent: Placement | undefined): void {
  if (parent === undefined || !sameAgentByName(record, parent)) return
  for (const event of record.events) if (event.agent_id === record.agentId) event.agent_id = parent.agentId
  record.agentId = parent.agentId
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
