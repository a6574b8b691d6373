/**
 * What a decision policy (Cedar) is asked about a proposed step: who (the agent), what (the tool),
 * on what (the target), and the task's privilege path so far as the context. The decision engine
 * builds it from live detector state; policy sets read it. Every field is a Cedar-representable
 * value (string, long, boolean, set, record): no floats, no nulls (-1 / '' stand for "none").
 */

/** One value of the proposed call's arguments and where the task first saw it. */
export interface ArgumentPath {
  /** email, url, host, domain, iban, number, path, identifier, phrase. */
  kind: string
  /** user, system, tool, untrusted_tool, unknown. */
  origin: string
  /** It first appeared inside injected instructions in a tool result. */
  injected: boolean
  /** The tool whose result it first appeared in ('' for the user's or system's text). */
  source_tool: string
}

export interface CredentialPath {
  id: string
  scopes: string[]
  /** Milliseconds left before expiry at decision time; -1 when it has no expiry. */
  ttl_ms: number
  /** The task it was issued for ('' when not bound). */
  task_id: string
  revoked: boolean
  expired: boolean
  /** The task it was issued for has ended. */
  task_ended: boolean
}

export interface PrivilegePathContext {
  task_id: string
  trace_id: string
  tenant: string
  tool: string
  /** The tool matches `detector.privileged_tools`. */
  privileged: boolean
  target_resource: string
  target_tenant: string
  /** target_tenant is set and differs from the task's tenant. */
  cross_tenant: boolean
  /** The task has read output of an untrusted tool (`detector.untrusted_output_tools`). */
  untrusted_content_seen: boolean
  /** Some tool result of the task held injected instructions. */
  injection_seen: boolean
  /** Some argument value first appeared inside injected instructions (and the user never wrote it). */
  arguments_injected: boolean
  /** Some argument value came from untrusted tool output. */
  arguments_untrusted: boolean
  arguments: ArgumentPath[]
  /** The credential the call presents (`resource.properties.credential_id`); has_credential false when none. */
  has_credential: boolean
  credential: CredentialPath
  /** Credentials issued in the task and still live. */
  live_credentials: CredentialPath[]
  /** Actions approved, still pending, and refused in the task. */
  approvals_granted: string[]
  approvals_pending: string[]
  approvals_denied: string[]
  /** Earlier authz decisions in the task that denied this tool. */
  denied_before: boolean
  /** The agent was delegated to within the task, and the scopes it was given. */
  delegated: boolean
  delegation_depth: number
  delegated_scopes: string[]
}

export interface PolicyInput {
  /** Cedar principal `Agent::"<agent id>"`, with the workload and name as attributes. */
  principal: { id: string; name: string; workload: string }
  /** Cedar action `Action::"<tool name>"`. */
  action: string
  /** Cedar resource `Resource::"<target resource, else the tool name>"`, with its tenant. */
  resource: { id: string; tenant: string }
  context: PrivilegePathContext
}

/** One policy that denied, for the decision's reasons. */
export interface PolicyDenial {
  /** The policy's `@id` annotation, else `<file>#<n>`. */
  id: string
  /** `@mode("shadow")` records without denying; otherwise the global mode applies. */
  mode: 'enforce' | 'shadow'
  /** The policy's `@reason` annotation, else its id. */
  reason: string
}

export interface PolicyVerdict {
  denials: PolicyDenial[]
  /** Policies that failed to evaluate on this input (their ids and messages); they neither allow nor deny. */
  errors: string[]
}
