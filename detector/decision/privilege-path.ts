/**
 * The policy input of a proposed call: the agent, the tool, the target, and the task's privilege
 * path so far — what untrusted content it read, where each argument came from, the credentials it
 * holds with their time left and scopes, its approvals, denials and delegation — built from the
 * same live state the rules read (policy-input.ts says what each field means).
 */
import { glob } from '../../core/expression/index.js'
import type { RuleContext } from '../engine/context.js'
import type { CredentialEntry } from '../state/registry.js'
import type { CredentialPath, PolicyInput } from './policy-input.js'

/** The privileged-tool patterns of the built-in pack, when `detector.privileged_tools` is empty. */
const DEFAULT_PRIVILEGED = ['*.delete*', 'delete*', '*.write*', 'write*', 'payments.*', 'db.admin*', 'iam.*', 'shell.*', 'exec*', '*.exec*', '*.transfer*', 'transfer*']
/** Live credentials listed at most (the newest issued), so a task cannot make the context unbounded. */
const MAX_LIVE_CREDENTIALS = 32

export interface PathSource {
  credential(id: string): CredentialEntry | null
  /** The task read untrusted tool output / saw injected instructions in a tool result. */
  exposure: { untrusted: boolean; injected: boolean }
}

function credentialPath(entry: CredentialEntry | null, id: string, now: number): CredentialPath {
  return {
    id,
    scopes: entry?.scopes ?? [],
    ttl_ms: entry?.expires_at == null ? -1 : Math.max(0, Math.round(entry.expires_at - now)),
    task_id: entry?.task_id ?? '',
    revoked: entry?.revoked_at != null && entry.revoked_at <= now,
    expired: entry?.expires_at != null && entry.expires_at <= now,
    task_ended: entry?.task_ended_at != null && entry.task_ended_at <= now,
  }
}

export function policyInput(ctx: RuleContext, source: PathSource): PolicyInput {
  const { event, task, provenance } = ctx
  const now = event.ts
  const privileged = ctx.config.privileged_tools.length > 0 ? ctx.config.privileged_tools : DEFAULT_PRIVILEGED
  const tenant = task.tenant_id !== '' ? task.tenant_id : event.tenant_id
  const live = task.credentials_issued
    .slice(-MAX_LIVE_CREDENTIALS)
    .map((id) => credentialPath(source.credential(id), id, now))
    .filter((c) => !c.revoked && !c.expired)
  const delegations = task.delegations.filter((d) => d.to_agent === event.agent_id)
  // an action's approval state is its latest approval event's result (requested → granted …)
  const latest = new Map<string, string>()
  for (const a of [...task.approvals].sort((x, y) => x.ts - y.ts)) latest.set(a.action, a.result)
  const approvals = (result: string) => [...latest].filter(([, r]) => r === result).map(([action]) => action)
  return {
    principal: { id: event.agent_id, name: event.agent_name, workload: event.workload_id },
    action: event.tool_name,
    resource: { id: event.target_resource !== '' ? event.target_resource : event.tool_name, tenant: event.target_tenant !== '' ? event.target_tenant : tenant },
    context: {
      task_id: event.task_id,
      trace_id: event.trace_id,
      tenant,
      tool: event.tool_name,
      privileged: glob(event.tool_name, privileged),
      target_resource: event.target_resource,
      target_tenant: event.target_tenant,
      cross_tenant: event.target_tenant !== '' && event.target_tenant !== tenant,
      untrusted_content_seen: source.exposure.untrusted || task.untrusted_outputs.length > 0,
      injection_seen: source.exposure.injected,
      arguments_injected: provenance.injected,
      arguments_untrusted: provenance.untrusted,
      arguments: provenance.arguments.map((a) => ({ kind: a.kind, origin: a.origin, injected: a.injected, source_tool: a.source_tool })),
      has_credential: event.credential_id !== '',
      credential: credentialPath(ctx.credential, event.credential_id, now),
      live_credentials: live,
      approvals_granted: approvals('granted'),
      approvals_pending: approvals('requested'),
      approvals_denied: approvals('denied'),
      denied_before: task.authz.some((d) => d.result === 'deny' && glob(event.tool_name, [d.action])),
      delegated: delegations.length > 0,
      delegation_depth: delegations.length,
      delegated_scopes: [...new Set(delegations.flatMap((d) => d.scopes))],
    },
  }
}
