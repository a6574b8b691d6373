/**
 * The attribute, event and baggage names privpath reads (docs/conventions.md). OpenTelemetry GenAI
 * semantic-convention names where one exists, `agent.*`, `credential.*`, `authz.*`, `approval.*`
 * and `target.*` for what the conventions do not cover yet.
 */

export const ATTR_TENANT_ID = 'tenant.id'
export const ATTR_TASK_ID = 'agent.task.id'
export const ATTR_WORKLOAD_ID = 'agent.workload.id'
export const ATTR_STEP_KIND = 'agent.step.kind'
export const ATTR_DELEGATION_SCOPES = 'agent.delegation.scopes'
export const ATTR_ENDUSER_ID = 'enduser.id'

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name'
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id'
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name'
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name'
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model'
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages'
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages'
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name'
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id'
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments'
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result'
export const ATTR_ERROR_TYPE = 'error.type'

export const ATTR_TARGET_TENANT_ID = 'target.tenant.id'
export const ATTR_TARGET_RESOURCE = 'target.resource'

export const ATTR_CREDENTIAL_ID = 'credential.id'
export const ATTR_CREDENTIAL_TYPE = 'credential.type'
export const ATTR_CREDENTIAL_ISSUER = 'credential.issuer'
export const ATTR_CREDENTIAL_SUBJECT = 'credential.subject'
export const ATTR_CREDENTIAL_SCOPES = 'credential.scopes'
export const ATTR_CREDENTIAL_EXPIRES_AT = 'credential.expires_at'
export const ATTR_CREDENTIAL_TTL_S = 'credential.ttl_s'
export const ATTR_CREDENTIAL_TASK_ID = 'credential.task.id'

export const ATTR_AUTHZ_RESULT = 'authz.result'
export const ATTR_AUTHZ_POLICY = 'authz.policy'
export const ATTR_AUTHZ_ENGINE = 'authz.engine'
export const ATTR_AUTHZ_ACTION = 'authz.action'
export const ATTR_AUTHZ_RESOURCE = 'authz.resource'

export const ATTR_APPROVAL_RESULT = 'approval.result'
export const ATTR_APPROVAL_APPROVER = 'approval.approver'
export const ATTR_APPROVAL_ACTION = 'approval.action'

export const OPERATION_CHAT = 'chat'
export const OPERATION_EXECUTE_TOOL = 'execute_tool'
export const OPERATION_INVOKE_AGENT = 'invoke_agent'
export const STEP_KIND_REASONING = 'reasoning'

export const EVENT_CREDENTIAL_ISSUED = 'credential.issued'
export const EVENT_CREDENTIAL_USED = 'credential.used'
export const EVENT_CREDENTIAL_REVOKED = 'credential.revoked'
export const EVENT_AUTHZ_DECISION = 'authz.decision'
export const EVENT_APPROVAL = 'approval'
export const EVENT_TASK_END = 'agent.task.end'

/**
 * Baggage entries that carry the task across process boundaries: the same keys as the span
 * attributes, under the names of what they are used for.
 * @alias
 */
export const BAGGAGE_TASK_ID = ATTR_TASK_ID
/** @alias */
export const BAGGAGE_TENANT_ID = ATTR_TENANT_ID

/** What privpath decided about a tool call asked with `guard` / `toolCall(name, { check: true })`. */
export const ATTR_DECISION_ID = 'privpath.decision.id'
export const ATTR_DECISION_REASONS = 'privpath.decision.reasons'
/** Why privpath could not decide (timeout, unreachable, HTTP status); the call then followed `onError`. */
export const ATTR_DECISION_ERROR = 'privpath.decision.error'
