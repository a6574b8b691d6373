/**
 * A proposed tool call as the events it would become once run: a `tool_invocation` and, when it
 * presents a credential, the `credential_used` the collector derives from the same span. The
 * rules judge these against the task's live state, exactly as they would judge the executed call.
 * The tenant and the isolation domain come from the caller's key, as for ingest: a tenant key
 * only ever reads its own domain's state, whatever task or credential id it names.
 */
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import type { EvaluationRequest } from './authzen.js'

/** The tenant a request's events carry when no key says it and the agent names none. */
const DEFAULT_TENANT = 'default'
/** Arguments longer than this are judged on their first part (the collector truncates content too). */
const MAX_ARGUMENTS_CHARS = 64 * 1_024

export interface Caller {
  /** The key's tenant; '*' for an admin key; '' without keys. */
  tenant: string
  authenticated: boolean
}

export interface Proposal {
  /** The tool call, then the credential use when it presents one. */
  events: PrivpathEvent[]
  call: PrivpathEvent
}

/** What a request names before its task is found: the isolation domain, the task, trace and span it gives. */
export interface Named {
  domain: string
  taskId: string
  traceId: string
  afterSpanId: string
}

function keyedTenant(caller: Caller): boolean {
  return caller.authenticated && caller.tenant !== '*'
}

export function named(request: EvaluationRequest, caller: Caller): Named {
  const context = request.context ?? {}
  return {
    domain: keyedTenant(caller) ? caller.tenant : '',
    taskId: context.task_id ?? '',
    traceId: (context.trace_id ?? '').toLowerCase(),
    afterSpanId: (context.after_span_id ?? '').toLowerCase(),
  }
}

function argumentsText(value: unknown): string {
  if (value === undefined || value === null) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > MAX_ARGUMENTS_CHARS ? text.slice(0, MAX_ARGUMENTS_CHARS) : text
}

/** The task a proposal belongs to, once found (decide.ts): its id, and its tenant when known. */
export interface ProposalTask {
  id: string
  tenant: string
}

/**
 * `ts` is when the call would run: after every step of the task processed so far. Without a
 * tenant key, the tenant is the agent's claim, else the task's, else the default.
 */
export function proposal(request: EvaluationRequest, caller: Caller, ids: Named, ts: number, now: number, task?: ProposalTask): Proposal {
  const taskTenant = task?.tenant ?? ''
  const keyed = keyedTenant(caller)
  const props = request.resource.properties ?? {}
  const claim = request.subject.properties?.tenant_id ?? ''
  const call = emptyEvent()
  call.kind = 'tool_invocation'
  call.source = 'privpath'
  call.ts = ts
  call.observed_at = now
  call.tenant_id = keyed ? caller.tenant : claim !== '' ? claim : taskTenant !== '' ? taskTenant : DEFAULT_TENANT
  call.domain = ids.domain
  call.task_id = task?.id ?? ids.taskId
  call.trace_id = ids.traceId
  call.parent_span_id = ids.afterSpanId
  call.agent_id = request.subject.id
  call.agent_name = request.subject.properties?.name ?? ''
  call.workload_id = request.subject.properties?.workload_id ?? ''
  call.name = `execute_tool ${request.action.name}`
  call.tool_name = request.action.name
  call.tool_arguments = argumentsText(props.arguments)
  call.target_resource = props.target_resource ?? ''
  call.target_tenant = props.target_tenant ?? ''
  call.credential_id = props.credential_id ?? ''
  if (keyed && claim !== '' && claim !== caller.tenant) call.flags = ['tenant_mismatch']
  const events = [call]
  if (call.credential_id !== '') events.push({ ...call, kind: 'credential_used', name: 'credential.used' })
  return { events, call }
}
