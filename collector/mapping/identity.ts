/**
 * Who and what a span belongs to: tenant claim, task, agent, workload, user. Span attributes win
 * over resource attributes; within each, the first listed key that is present wins.
 */
import type { PrivpathEvent } from '../../core/event.js'
import type { AttributeReader } from './attributes.js'

export interface Identity {
  tenantClaim: string
  explicitTaskId: string
  /** Conversation / session id; '' when none (the caller then falls back to the trace id). */
  conversationId: string
  agentId: string
  agentName: string
  workloadId: string
  userId: string
}

const ASSOCIATION = 'traceloop.association.properties.'
const VERCEL_METADATA = 'ai.telemetry.metadata.'

const IDENTITY_KEYS = {
  tenant: ['tenant.id', `${ASSOCIATION}tenant.id`, `${VERCEL_METADATA}tenant.id`],
  task: ['agent.task.id', 'baggage.agent.task.id', `${ASSOCIATION}agent.task.id`, `${VERCEL_METADATA}agent.task.id`],
  conversation: ['gen_ai.conversation.id', 'session.id', `${ASSOCIATION}session_id`, `${ASSOCIATION}conversation_id`],
  agentId: ['gen_ai.agent.id'],
  agentName: ['gen_ai.agent.name', 'agent.name'],
  workload: ['agent.workload.id'],
  user: ['enduser.id', 'user.id', `${ASSOCIATION}user_id`],
} as const

/** The identity a resource gives all its spans and records: read once per resource, not per span. */
export function readResourceIdentity(resource: AttributeReader): Identity {
  return {
    tenantClaim: resource.firstOf(IDENTITY_KEYS.tenant),
    explicitTaskId: resource.firstOf(IDENTITY_KEYS.task),
    conversationId: resource.firstOf(IDENTITY_KEYS.conversation),
    agentId: resource.firstOf(IDENTITY_KEYS.agentId),
    agentName: resource.firstOf(IDENTITY_KEYS.agentName),
    workloadId: resource.firstOf(IDENTITY_KEYS.workload),
    userId: resource.firstOf(IDENTITY_KEYS.user),
  }
}

/** `resource` comes from readResourceIdentity: its agentId is the resource's own `gen_ai.agent.id`, without the name fallback. */
export function readIdentity(span: AttributeReader, resource: Identity): Identity {
  const agentName = span.firstOf(IDENTITY_KEYS.agentName) || resource.agentName
  return {
    tenantClaim: span.firstOf(IDENTITY_KEYS.tenant) || resource.tenantClaim,
    explicitTaskId: span.firstOf(IDENTITY_KEYS.task) || resource.explicitTaskId,
    conversationId: span.firstOf(IDENTITY_KEYS.conversation) || resource.conversationId,
    agentId: span.firstOf(IDENTITY_KEYS.agentId) || resource.agentId || agentName,
    agentName,
    workloadId: span.firstOf(IDENTITY_KEYS.workload) || resource.workloadId,
    userId: span.firstOf(IDENTITY_KEYS.user) || resource.userId,
  }
}

/** Stamps an event with where it was recorded (trace and span) and who acted (agent, workload, user). */
export function stampIdentity(event: PrivpathEvent, traceId: string, spanId: string, identity: Identity): void {
  event.trace_id = traceId
  event.span_id = spanId
  event.agent_id = identity.agentId
  event.agent_name = identity.agentName
  event.workload_id = identity.workloadId
  event.user_id = identity.userId
}
