/**
 * The task an operation belongs to, carried in the OpenTelemetry context. Inside `startTask` the
 * full scope travels under a private context key; across a process boundary only the baggage
 * entries (task id, tenant) arrive, so the scope falls back to them.
 */
import { createContextKey, propagation, type Attributes, type Context } from '@opentelemetry/api'
import {
  ATTR_ENDUSER_ID,
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_TASK_ID,
  ATTR_TENANT_ID,
  ATTR_WORKLOAD_ID,
  BAGGAGE_TASK_ID,
  BAGGAGE_TENANT_ID,
} from './attributes.js'

export interface TaskScope {
  taskId: string
  tenantId: string
  agentId: string
  agentName: string
  workloadId: string
  userId: string
}

const SCOPE_KEY = createContextKey('@privpath/sdk task scope')

export function withScope(ctx: Context, scope: TaskScope): Context {
  let baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage()
  if (scope.taskId !== '') baggage = baggage.setEntry(BAGGAGE_TASK_ID, { value: scope.taskId })
  if (scope.tenantId !== '') baggage = baggage.setEntry(BAGGAGE_TENANT_ID, { value: scope.tenantId })
  return propagation.setBaggage(ctx.setValue(SCOPE_KEY, scope), baggage)
}

export function scopeOf(ctx: Context): TaskScope | undefined {
  const scope = ctx.getValue(SCOPE_KEY) as TaskScope | undefined
  if (scope !== undefined) return scope
  const baggage = propagation.getBaggage(ctx)
  const taskId = baggage?.getEntry(BAGGAGE_TASK_ID)?.value ?? ''
  const tenantId = baggage?.getEntry(BAGGAGE_TENANT_ID)?.value ?? ''
  if (taskId === '' && tenantId === '') return undefined
  return { taskId, tenantId, agentId: '', agentName: '', workloadId: '', userId: '' }
}

/** The identity attributes every privpath span carries; empty values are left out. */
export function scopeAttributes(scope: TaskScope | undefined): Attributes {
  if (scope === undefined) return {}
  const attributes: Attributes = {}
  const pairs: Array<[string, string]> = [
    [ATTR_TENANT_ID, scope.tenantId],
    [ATTR_TASK_ID, scope.taskId],
    [ATTR_GEN_AI_AGENT_ID, scope.agentId],
    [ATTR_GEN_AI_AGENT_NAME, scope.agentName],
    [ATTR_WORKLOAD_ID, scope.workloadId],
    [ATTR_ENDUSER_ID, scope.userId],
  ]
  for (const [key, value] of pairs) if (value !== '') attributes[key] = value
  return attributes
}
