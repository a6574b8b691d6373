/**
 * A tool call: an `execute_tool <name>` span around the tool's code, naming where it reaches
 * (`target.tenant.id`, `target.resource`) and the credential it presents (`credential.id`). Those
 * three are what privpath checks against the task's tenant and the credential registry. With
 * `check`, privpath is asked inside the span before the tool's code runs, so a denied call is
 * still on the privilege path: a failed tool span carrying the decision.
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
import { serialise } from './content.js'
import type { DecisionOptions } from './decision.js'
import { prepareGuard } from './guard.js'
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
  /**
   * Ask privpath first and run `fn` only when it allows; the call then returns a promise, which
   * rejects with PrivpathDeniedError when denied. `arguments` go to privpath with the question.
   */
  check?: boolean
  /** With `check`: the span the decision depends on; the task's last decision-relevant span when absent. */
  afterSpanId?: string
  /** With `check`: decision options for this call, over those configured. */
  decisions?: DecisionOptions
}

export function toolCall<T>(
  runtime: Runtime,
  name: string,
  options: ToolCallOptions,
  fn: (span: Span) => T,
): T | Promise<Awaited<T>> {
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
  const onResult = capture
    ? (span: Span, value: Awaited<T>) => value !== undefined && span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, serialise(value))
    : undefined
  const spanName = `${OPERATION_EXECUTE_TOOL} ${name}`
  const spanOptions = { kind: SpanKind.INTERNAL, attributes }
  if (options.check !== true) return runInSpan(runtime.tracer(), spanName, spanOptions, active, fn, onResult)
  const { arguments: args, target, credentialId, afterSpanId } = options
  const decide = prepareGuard(runtime, { tool: name, arguments: args, target, credentialId, afterSpanId }, options.decisions)
  return runInSpan<Promise<Awaited<T>>>(runtime.tracer(), spanName, spanOptions, active, async (span): Promise<Awaited<T>> => {
    // Asked inside the span: the decision is recorded on it, and a denial fails it.
    await decide(span)
    const value: Awaited<T> = await fn(span)
    return value
  }, onResult)
}
