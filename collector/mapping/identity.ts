/**
 * Who and what a span belongs to: tenant claim, task, agent, workload, user. Span attributes win
 * over resource attributes; within each, the first listed key that is present wins.
 */
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

export const IDENTITY_KEYS = {
  tenant: ['tenant.id', `${ASSOCIATION}tenant.id`, `${VERCEL_METADATA}tenant.id`],
  task: ['agent.task.id', 'baggage.agent.task.id', `${ASSOCIATION}agent.task.id`, `${VERCEL_METADATA}agent.task.id`],
  conversation: ['gen_ai.conversation.id', 'session.id', `${ASSOCIATION}session_id`, `${ASSOCIATION}conversation_id`],
  agentId: ['gen_ai.agent.id'],
  agentName: ['gen_ai.agent.name', 'agent.name'],
  workload: ['agent.workload.id'],
  user: ['enduser.id', 'user.id', `${ASSOCIATION}user_id`],
} as const

export function readIdentity(span: AttributeReader, resource: AttributeReader): Identity {
  const pick = (keys: readonly string[]): string => span.first(...keys) || resource.first(...keys)
  const agentName = pick(IDENTITY_KEYS.agentName)
  return {
    tenantClaim: pick(IDENTITY_KEYS.tenant),
    explicitTaskId: pick(IDENTITY_KEYS.task),
    conversationId: pick(IDENTITY_KEYS.conversation),
    agentId: pick(IDENTITY_KEYS.agentId) || agentName,
    agentName,
    workloadId: pick(IDENTITY_KEYS.workload),
    userId: pick(IDENTITY_KEYS.user),
  }
}
