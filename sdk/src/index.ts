/**
 * @privpath/sdk — records what an AI agent does on its privilege path as OpenTelemetry spans in
 * the conventions privpath reads: tasks, prompts, reasoning steps, tool calls, credentials,
 * authorization decisions, delegation and approvals. In: calls from agent code. Out: spans through
 * the given or global tracer provider (export them with `setupPrivpath` or your own OTel setup).
 * Also asks privpath whether a tool call may run (`guard`, `toolCall(name, { check: true })`).
 * Not done here: sending content unless asked (`captureContent`), redaction (the collector does it).
 */
export {
  createPrivpath,
  startTask,
  recordPrompt,
  reasoningStep,
  toolCall,
  guard,
  credentialIssued,
  credentialUsed,
  credentialRevoked,
  authzDecision,
  approval,
  delegate,
  configure,
} from './privpath.js'
export type { Privpath } from './privpath.js'
export type { PrivpathOptions } from './runtime.js'
export type { TaskOptions, TaskHandle, DelegateOptions } from './task.js'
export type { PromptMessage, MessagePart, PromptOptions } from './steps.js'
export type { ToolCallOptions } from './tool.js'
export { PrivpathDeniedError } from './guard.js'
export type { GuardRequest } from './guard.js'
export type { DecisionOptions, PrivpathDecision, DecisionReason, DecisionFailure } from './decision.js'
export type { CredentialIssue, AuthzDecision, Approval } from './events.js'
export { TaskAttributesSpanProcessor } from './processor.js'
export { ExportOnEndSpanProcessor } from './export-on-end.js'
export { setupPrivpath, createPrivpathTracerProvider, tracesUrl } from './setup.js'
export type { SetupOptions, ExportOptions, PrivpathExport } from './setup.js'
export {
  ATTR_TENANT_ID,
  ATTR_TASK_ID,
  ATTR_WORKLOAD_ID,
  ATTR_STEP_KIND,
  ATTR_DELEGATION_SCOPES,
  ATTR_ENDUSER_ID,
  ATTR_TARGET_TENANT_ID,
  ATTR_TARGET_RESOURCE,
  ATTR_CREDENTIAL_ID,
  EVENT_CREDENTIAL_ISSUED,
  EVENT_CREDENTIAL_USED,
  EVENT_CREDENTIAL_REVOKED,
  EVENT_AUTHZ_DECISION,
  EVENT_APPROVAL,
  EVENT_TASK_END,
  ATTR_DECISION_ID,
  ATTR_DECISION_REASONS,
  ATTR_DECISION_ERROR,
} from './attributes.js'
