/**
 * A task is one unit of agent work with its own privilege path: a root `invoke_agent` span whose
 * `agent.task.id` and `tenant.id` also travel as baggage so every span under it, in this process
 * or downstream, correlates to it, and whose `agent.task.end` event ends it (unless kept open
 * for a later turn). Delegation hands part of the task to another agent: a child
 * `invoke_agent` span naming the delegate and the scopes it was given.
 */
import { randomUUID } from 'node:crypto'
import { context, SpanKind, type Attributes, type Span } from '@opentelemetry/api'
import {
  ATTR_DELEGATION_SCOPES,
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  EVENT_TASK_END,
  OPERATION_INVOKE_AGENT,
} from './attributes.js'
import { preciseNow } from './clock.js'
import type { Runtime } from './runtime.js'
import { runInLongLivedSpan } from './spans.js'
import { requireText } from './validate.js'
import { scopeAttributes, scopeOf, withScope, type TaskScope } from './scope.js'

export interface TaskOptions {
  /** Generated (a UUID) when absent. */
  taskId?: string
  tenantId: string
  agentId: string
  agentName?: string
  /** The workload identity the agent runs as (SPIFFE id, service account...). */
  workloadId?: string
  /** The end user on whose behalf the task runs. */
  userId?: string
  /**
   * Leave the task open when `fn` returns: for one turn of a task that goes on in later
   * `startTask` calls with the same `taskId` (a conversation). Default false: the task ends with
   * `fn` (an `agent.task.end` event on the task span). A task left open ends with a later call
   * that does not keep it open, or in privpath after its inactivity period.
   */
  keepOpen?: boolean
}

export interface TaskHandle {
  taskId: string
  span: Span
}

export interface DelegateOptions {
  agentId: string
  agentName?: string
  /** The scopes handed to the delegate. */
  scopes?: string[]
  /** The delegate's workload when it differs from the delegator's. */
  workloadId?: string
}

export function startTask<T>(runtime: Runtime, options: TaskOptions, fn: (task: TaskHandle) => T): T {
  requireText('tenantId', options.tenantId)
  requireText('agentId', options.agentId)
  const scope: TaskScope = {
    taskId: options.taskId === undefined || options.taskId === '' ? randomUUID() : options.taskId,
    tenantId: options.tenantId,
    agentId: options.agentId,
    agentName: options.agentName ?? '',
    workloadId: options.workloadId ?? '',
    userId: options.userId ?? '',
  }
  const parent = withScope(context.active(), scope)
  const attributes = { [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_INVOKE_AGENT, ...scopeAttributes(scope) }
  return runInLongLivedSpan(
    runtime.tracer(),
    `${OPERATION_INVOKE_AGENT} ${scope.agentName || scope.agentId}`,
    { kind: SpanKind.INTERNAL, attributes },
    parent,
    (span) => fn({ taskId: scope.taskId, span }),
    // privpath ends a task with a task id of its own only when told: the task span's end is not
    // the task's end when the same task goes on in another trace.
    options.keepOpen === true ? undefined : (span) => span.addEvent(EVENT_TASK_END, {}, preciseNow()),
  )
}

export function delegate<T>(runtime: Runtime, options: DelegateOptions, fn: (span: Span) => T): T {
  requireText('agentId', options.agentId)
  const active = context.active()
  const delegator = scopeOf(active)
  const scope: TaskScope = {
    taskId: delegator?.taskId ?? '',
    tenantId: delegator?.tenantId ?? '',
    userId: delegator?.userId ?? '',
    workloadId: options.workloadId ?? delegator?.workloadId ?? '',
    agentId: options.agentId,
    agentName: options.agentName ?? '',
  }
  const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_INVOKE_AGENT, ...scopeAttributes(scope) }
  attributes[ATTR_GEN_AI_AGENT_ID] = scope.agentId
  if (scope.agentName !== '') attributes[ATTR_GEN_AI_AGENT_NAME] = scope.agentName
  if (options.scopes !== undefined) attributes[ATTR_DELEGATION_SCOPES] = [...options.scopes]
  const parent = withScope(active, scope)
  return runInLongLivedSpan(
    runtime.tracer(),
    `${OPERATION_INVOKE_AGENT} ${scope.agentName || scope.agentId}`,
    { kind: SpanKind.INTERNAL, attributes },
    parent,
    fn,
  )
}
