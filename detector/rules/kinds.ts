/**
 * Which event fields each kind can carry (best effort, for validation warnings): a rule on
 * `credential_issued` that tests `event.tool_name` can never match.
 */
import jsonata from 'jsonata'
import type { EventKind } from '../../core/event.js'

const TOOL = ['tool_name', 'tool_call_id', 'tool_arguments', 'tool_result', 'target_resource', 'target_tenant']
const CREDENTIAL = [
  'credential_id', 'credential_type', 'credential_issuer', 'credential_subject',
  'credential_scopes', 'credential_expires_at', 'credential_task_id',
]
const AUTHZ = ['authz_result', 'authz_policy', 'authz_engine', 'authz_action', 'authz_resource']
const DELEGATION = ['delegate_agent_id', 'delegate_agent_name', 'delegated_scopes']
const APPROVAL = ['approval_result', 'approval_approver', 'approval_action']

const SPECIFIC: Partial<Record<EventKind, string[]>> = {
  tool_invocation: [...TOOL, ...CREDENTIAL],
  credential_issued: CREDENTIAL,
  credential_used: [...CREDENTIAL, ...TOOL],
  credential_revoked: CREDENTIAL,
  authz_decision: [...AUTHZ, ...TOOL, ...CREDENTIAL],
  delegation: [...DELEGATION, ...CREDENTIAL],
  approval: [...APPROVAL, ...TOOL],
}
const KIND_SPECIFIC = new Set([...TOOL, ...CREDENTIAL, ...AUTHZ, ...DELEGATION, ...APPROVAL])

export function fieldAppliesTo(field: string, kind: EventKind): boolean {
  if (!KIND_SPECIFIC.has(field)) return true
  if (kind === 'other') return true
  return SPECIFIC[kind]?.includes(field) ?? false
}

/** Names X of every `event.X` path in the expression. */
export function eventFieldsUsed(source: string): string[] {
  const found = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (node === null || typeof node !== 'object') return
    const n = node as { type?: string; steps?: Array<{ type: string; value: unknown }> }
    if (n.type === 'path' && n.steps && n.steps.length >= 2) {
      const [first, second] = n.steps
      if (first.type === 'name' && first.value === 'event' && second.type === 'name') found.add(String(second.value))
    }
    for (const value of Object.values(node)) visit(value)
  }
  visit(jsonata(source).ast())
  return [...found]
}
