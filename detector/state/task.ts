/**
 * Per-task state as rules see it (`task`): what the task did so far. `applyEvent` folds one
 * event in. Every list is bounded so a runaway task stays bounded: the timestamped ones by
 * task-logs.ts, so that flooding a task with decisions cannot push out an earlier deny; the
 * distinct-id lists keep their last LIST_CAP values.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { glob } from '../../core/expression/index.js'
import { append } from './lists.js'
import { addEntry, type TaskDrop, type TaskList } from './task-logs.js'

const LIST_CAP = 200
const NO_DROPS: TaskDrop = () => {}

interface ToolCall {
  name: string
  call_id: string
  target_resource: string
  target_tenant: string
  agent_id: string
  ts: number
  event_id: string
}

export interface TaskState {
  task_id: string
  tenant_id: string
  started_at: number | null
  ended_at: number | null
  agents: string[]
  workloads: string[]
  prompt_count: number
  reasoning_count: number
  tool_count: number
  tools: ToolCall[]
  credentials_issued: string[]
  credentials_used: string[]
  credentials_revoked: string[]
  /** `engine` is who decided (opa, cedar, privpath for the decision endpoint's own answers …). */
  authz: Array<{ action: string; resource: string; result: string; policy: string; engine: string; agent_id: string; ts: number }>
  approvals: Array<{ action: string; result: string; approver: string; ts: number }>
  delegations: Array<{ from_agent: string; to_agent: string; scopes: string[]; ts: number }>
  agent_scopes: Record<string, string[]>
  untrusted_outputs: Array<{ tool: string; ts: number }>
  last_ts: number
}

export function emptyTask(taskId: string, tenantId: string): TaskState {
  return {
    task_id: taskId,
    tenant_id: tenantId,
    started_at: null,
    ended_at: null,
    agents: [],
    workloads: [],
    prompt_count: 0,
    reasoning_count: 0,
    tool_count: 0,
    tools: [],
    credentials_issued: [],
    credentials_used: [],
    credentials_revoked: [],
    authz: [],
    approvals: [],
    delegations: [],
    agent_scopes: {},
    untrusted_outputs: [],
    last_ts: 0,
  }
}

/** `list` with `value` added unless already there; may be a new array (lists.ts), so callers store what it returns. */
function addDistinct(list: string[], value: string, name: TaskList, dropped: TaskDrop): string[] {
  if (value === '' || list.includes(value)) return list
  const grown = append(list, value)
  if (grown.length > LIST_CAP) {
    grown.shift()
    dropped(name, 'overflow')
  }
  return grown
}

function addScopes(task: TaskState, agent: string, scopes: string[], dropped: TaskDrop): void {
  if (agent === '' || scopes.length === 0) return
  let have = task.agent_scopes[agent] ?? []
  for (const scope of scopes) have = addDistinct(have, scope, 'agent_scopes', dropped)
  task.agent_scopes[agent] = have
}

/** `dropped` hears of every entry a bound pushed out (for the evictions metric). */
export function applyEvent(task: TaskState, event: PrivpathEvent, untrustedOutputTools: string[], dropped: TaskDrop = NO_DROPS): void {
  if (task.tenant_id === '') task.tenant_id = event.tenant_id
  task.agents = addDistinct(task.agents, event.agent_id, 'agents', dropped)
  task.workloads = addDistinct(task.workloads, event.workload_id, 'workloads', dropped)
  if (event.ts > task.last_ts) task.last_ts = event.ts
  switch (event.kind) {
    case 'task_start':
      task.started_at ??= event.ts
      break
    case 'task_end':
      task.ended_at = Math.max(task.ended_at ?? event.ts, event.ts)
      break
    case 'prompt':
      task.prompt_count++
      break
    case 'reasoning_step':
      task.reasoning_count++
      break
    case 'tool_invocation':
      task.tool_count++
      addEntry(task, 'tools', {
        name: event.tool_name,
        call_id: event.tool_call_id,
        target_resource: event.target_resource,
        target_tenant: event.target_tenant,
        agent_id: event.agent_id,
        ts: event.ts,
        event_id: event.event_id,
      }, dropped)
      if (untrustedOutputTools.length > 0 && glob(event.tool_name, untrustedOutputTools)) {
        addEntry(task, 'untrusted_outputs', { tool: event.tool_name, ts: event.ts }, dropped)
      }
      break
    case 'credential_issued':
      task.credentials_issued = addDistinct(task.credentials_issued, event.credential_id, 'credentials_issued', dropped)
      addScopes(task, event.credential_subject || event.agent_id, event.credential_scopes, dropped)
      break
    case 'credential_revoked':
      task.credentials_revoked = addDistinct(task.credentials_revoked, event.credential_id, 'credentials_revoked', dropped)
      break
    case 'authz_decision':
      addEntry(task, 'authz', {
        action: event.authz_action,
        resource: event.authz_resource,
        result: event.authz_result,
        policy: event.authz_policy,
        engine: event.authz_engine,
        agent_id: event.agent_id,
        ts: event.ts,
      }, dropped)
      break
    case 'approval':
      addEntry(task, 'approvals', {
        action: event.approval_action,
        result: event.approval_result,
        approver: event.approval_approver,
        ts: event.ts,
      }, dropped)
      break
    case 'delegation':
      addEntry(task, 'delegations', {
        from_agent: event.agent_id,
        to_agent: event.delegate_agent_id,
        scopes: event.delegated_scopes,
        ts: event.ts,
      }, dropped)
      addScopes(task, event.delegate_agent_id, event.delegated_scopes, dropped)
      break
    default:
      break
  }
  if (event.credential_id !== '' && event.kind !== 'credential_issued' && event.kind !== 'credential_revoked') {
    task.credentials_used = addDistinct(task.credentials_used, event.credential_id, 'credentials_used', dropped)
  }
}
