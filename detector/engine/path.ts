/**
 * The one-line privilege path of a task up to an event, for alerts:
 * `prompt → tool db.query → tenant globex with credential cred-123`.
 */
import type { PrivpathEvent } from '../../core/event.js'
import type { TaskState } from '../state/task.js'

const MAX_TOOLS = 4

export function describePath(task: TaskState, event: PrivpathEvent): string {
  const parts: string[] = []
  if (task.prompt_count > 0 || event.kind === 'prompt') parts.push('prompt')
  for (const d of task.delegations.slice(-2)) parts.push(`delegation to ${d.to_agent}`)
  const tools = task.tools.slice(-MAX_TOOLS).map((t) => t.name)
  if (event.kind === 'tool_invocation') tools.push(event.tool_name)
  let previous = ''
  for (const name of tools.slice(-MAX_TOOLS)) {
    if (name !== previous && name !== '') parts.push(`tool ${name}`)
    previous = name
  }
  switch (event.kind) {
    case 'credential_issued':
      parts.push(`credential issued to ${event.credential_subject || event.agent_id || 'unknown'}`)
      break
    case 'credential_used':
      parts.push('credential use')
      break
    case 'credential_revoked':
      parts.push('credential revoked')
      break
    case 'authz_decision':
      parts.push(`authz ${event.authz_action || event.authz_resource} ${event.authz_result}`.trim())
      break
    case 'delegation':
      parts.push(`delegation to ${event.delegate_agent_id}`)
      break
    case 'approval':
      parts.push(`approval ${event.approval_result}`)
      break
    case 'task_end':
      parts.push('task end')
      break
    default:
      break
  }
  const targetTenant = event.target_tenant || (event.kind === 'tool_invocation' ? '' : (task.tools.at(-1)?.target_tenant ?? ''))
  if (targetTenant !== '') parts.push(`tenant ${targetTenant}`)
  if (parts.length === 0) parts.push(event.kind)
  const line = parts.join(' → ')
  return event.credential_id !== '' ? `${line} with credential ${event.credential_id}` : line
}
