/**
 * A tool call: an `execute_tool <name>` span around the tool's code, naming where it reaches
 * (`target.tenant.id`, `target.resource`) and the credential it presents (`credential.id`). Those
 * three are what privpath checks against the task's tenant and the credential registry.
 */
import { randomUUID } from 'node:crypto'
import { context, SpanKind, type Attributes, type Span } from '@opentelemetry/api'
import {
  ATTR_CREDENTIAL_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TARGET_RESOURCE,
  ATTR_TARGET_TENANT_ID,
  OPERATION_EXECUTE_TOOL,
} from './attributes.js'
import type { Runtime } from './runtime.js'
import { runInSpan } from './spans.js'
import { scopeAttributes, scopeOf } from './scope.js'

export interface ToolCallOptions {
  /** Where the call reaches: the tenant owning the resource and the resource itself (URL, table, ARN...). */
  target?: { tenant?: string; resource?: string }
  /** The id of the credential the call presents (never the secret itself). */
  credentialId?: string
  /** The call's arguments; recorded only with content capture on. Strings are kept, anything else is JSON. */
  arguments?: unknown
  /** The model's tool-call id; generated when absent. */
  callId?: string
}

export function toolCall<T>(runtime: Runtime, name: string, options: ToolCallOptions, fn: (span: Span) => T): T {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('@privpath/sdk: tool name must be a non-empty string')
  }
  const active = context.active()
  const attributes: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_EXECUTE_TOOL,
    [ATTR_GEN_AI_TOOL_NAME]: name,
    [ATTR_GEN_AI_TOOL_CALL_ID]: options.callId ?? `call_${randomUUID()}`,
    ...scopeAttributes(scopeOf(active)),
  }
  if (options.target?.tenant !== undefined) attributes[ATTR_TARGET_TENANT_ID] = options.target.tenant
  if (options.target?.resource !== undefined) attributes[ATTR_TARGET_RESOURCE] = options.target.resource
  if (options.credentialId !== undefined) attributes[ATTR_CREDENTIAL_ID] = options.credentialId
  const capture = runtime.captureContent()
  if (capture && options.arguments !== undefined) {
    attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = serialise(options.arguments)
  }
  return runInSpan(
    runtime.tracer(),
    `${OPERATION_EXECUTE_TOOL} ${name}`,
    { kind: SpanKind.INTERNAL, attributes },
    active,
    fn,
    capture ? (span, value) => value !== undefined && span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, serialise(value)) : undefined,
  )
}

/** Content is best effort: a value JSON cannot represent (cycles, BigInt) is recorded by its type, never thrown. */
function serialise(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return `[unserialisable ${typeof value}]`
  }
}
