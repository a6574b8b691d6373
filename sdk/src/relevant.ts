/**
 * Which finished spans a privpath decision may depend on, and the last such span of each task.
 * privpath decides a tool call on the task's privilege path so far: the model call that proposed
 * the tool, earlier tool calls, credentials, authorization decisions, approvals, delegations. A
 * decision request names the last of these (`after_span_id`) so the server waits until it has
 * processed it; these spans are also the ones exported as they end (ExportOnEndSpanProcessor).
 * The classification mirrors the conventions privpath's collector reads (docs/conventions.md),
 * duplicated here because the SDK must not import server code.
 */
import type { Attributes, SpanContext } from '@opentelemetry/api'
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_STEP_KIND,
  ATTR_TASK_ID,
  ATTR_TENANT_ID,
  EVENT_APPROVAL,
  EVENT_AUTHZ_DECISION,
  EVENT_CREDENTIAL_ISSUED,
  EVENT_CREDENTIAL_REVOKED,
  EVENT_CREDENTIAL_USED,
  EVENT_TASK_END,
} from './attributes.js'

/** What a processor's `onEnd` receives, structurally (a `ReadableSpan` of `@opentelemetry/sdk-trace-base`). */
export interface EndedSpan {
  readonly name: string
  readonly attributes: Attributes
  readonly events: ReadonlyArray<{ name: string }>
  spanContext(): SpanContext
}

const PRIVILEGE_EVENTS = new Set([
  EVENT_CREDENTIAL_ISSUED,
  EVENT_CREDENTIAL_USED,
  EVENT_CREDENTIAL_REVOKED,
  EVENT_AUTHZ_DECISION,
  EVENT_APPROVAL,
])
// Model calls, tool calls and agent invocations (delegation) in each convention privpath reads.
const GEN_AI_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'execute_tool', 'invoke_agent'])
const OPENINFERENCE_KINDS = new Set(['LLM', 'TOOL', 'RETRIEVER', 'AGENT'])
const TRACELOOP_KINDS = new Set(['tool', 'agent'])
const VERCEL_OPERATIONS = new Set([
  'ai.generateText',
  'ai.streamText',
  'ai.generateObject',
  'ai.streamObject',
  'ai.generateText.doGenerate',
  'ai.streamText.doStream',
  'ai.generateObject.doGenerate',
  'ai.streamObject.doStream',
  'ai.toolCall',
])

export function isDecisionRelevant(span: EndedSpan): boolean {
  const attributes = span.attributes
  if (PRIVILEGE_EVENTS.has(span.name) || span.events.some((event) => PRIVILEGE_EVENTS.has(event.name))) return true
  if (GEN_AI_OPERATIONS.has(text(attributes[ATTR_GEN_AI_OPERATION_NAME]))) return true
  // A model's reasoning is where a proposed call comes from, as much as the chat span.
  if (text(attributes[ATTR_STEP_KIND]) === 'reasoning') return true
  if (attributes[ATTR_GEN_AI_REQUEST_MODEL] !== undefined) return true
  if (OPENINFERENCE_KINDS.has(text(attributes['openinference.span.kind']).toUpperCase())) return true
  if (TRACELOOP_KINDS.has(text(attributes['traceloop.span.kind']).toLowerCase())) return true
  const llmRequest = text(attributes['llm.request.type'])
  if (llmRequest === 'chat' || llmRequest === 'completion') return true
  return VERCEL_OPERATIONS.has(text(attributes['ai.operationId']) || span.name)
}

/**
 * The last relevant span per task, shared by every processor in the process: the decision is
 * asked by a privpath instance that does not know which provider recorded the task. Task ids are
 * keyed with their tenant because callers may choose them; the map is bounded so a process
 * running many tasks that never end does not grow without limit.
 */
const MAX_TASKS = 10_000
const lastByTask = new Map<string, string>()

const taskKey = (tenantId: string, taskId: string) => `${tenantId}\n${taskId}`

export function noteEnded(span: EndedSpan): void {
  const taskId = text(span.attributes[ATTR_TASK_ID])
  if (taskId === '') return
  const key = taskKey(text(span.attributes[ATTR_TENANT_ID]), taskId)
  if (span.events.some((event) => event.name === EVENT_TASK_END)) {
    lastByTask.delete(key)
    return
  }
  if (!isDecisionRelevant(span)) return
  // Re-inserting moves the task to the end, so eviction drops the task idle the longest.
  lastByTask.delete(key)
  lastByTask.set(key, span.spanContext().spanId)
  if (lastByTask.size > MAX_TASKS) lastByTask.delete(lastByTask.keys().next().value as string)
}

export function lastRelevantSpanId(tenantId: string, taskId: string): string | undefined {
  return lastByTask.get(taskKey(tenantId, taskId))
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
