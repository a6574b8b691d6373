/**
 * Model-facing steps: a prompt sent to a model (`chat` span, GenAI semantic conventions) and a
 * reasoning step (`agent.step.kind = reasoning`). Content goes into `gen_ai.input.messages` /
 * `gen_ai.output.messages` only when content capture is on; the spans are recorded either way.
 */
import { context, SpanKind, type Attributes } from '@opentelemetry/api'
import { ATTR_GEN_AI_INPUT_MESSAGES, ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_OUTPUT_MESSAGES, ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL, ATTR_STEP_KIND, OPERATION_CHAT, STEP_KIND_REASONING } from './attributes.js'
import type { Runtime } from './runtime.js'
import { recordInstant } from './spans.js'
import { scopeAttributes, scopeOf } from './scope.js'

/** A message part in the GenAI semantic-convention shape, e.g. `{ type: 'text', content: 'hi' }`. */
export interface MessagePart {
  type: string
  content?: string
  [field: string]: unknown
}

/** Either plain text content or explicit parts. */
export type PromptMessage = { role: string; content: string } | { role: string; parts: MessagePart[] }

export interface PromptOptions {
  /** The requested model, e.g. `gpt-4o`; also names the span (`chat gpt-4o`). */
  model?: string
  /** The GenAI provider, e.g. `openai`. */
  provider?: string
}

export function recordPrompt(runtime: Runtime, messages: string | PromptMessage[], options: PromptOptions = {}): void {
  const active = context.active()
  const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: OPERATION_CHAT, ...scopeAttributes(scopeOf(active)) }
  if (options.model !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = options.model
  if (options.provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = options.provider
  if (runtime.captureContent()) attributes[ATTR_GEN_AI_INPUT_MESSAGES] = JSON.stringify(toMessages(messages))
  const name = options.model === undefined ? OPERATION_CHAT : `${OPERATION_CHAT} ${options.model}`
  recordInstant(runtime.tracer(), name, { kind: SpanKind.CLIENT, attributes }, active)
}

export function reasoningStep(runtime: Runtime, text?: string): void {
  const active = context.active()
  const attributes: Attributes = { [ATTR_STEP_KIND]: STEP_KIND_REASONING, ...scopeAttributes(scopeOf(active)) }
  if (runtime.captureContent() && text !== undefined) {
    attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] = JSON.stringify([
      { role: 'assistant', parts: [{ type: 'reasoning', content: text }] },
    ])
  }
  recordInstant(runtime.tracer(), STEP_KIND_REASONING, { kind: SpanKind.INTERNAL, attributes }, active)
}

/** Normalises to `[{ role, parts: [{ type: 'text', content }] }]`; a bare string is one user message. */
function toMessages(messages: string | PromptMessage[]): Array<{ role: string; parts: MessagePart[] }> {
  if (typeof messages === 'string') return [{ role: 'user', parts: [{ type: 'text', content: messages }] }]
  return messages.map((message) =>
    'parts' in message
      ? { role: message.role, parts: message.parts }
      : { role: message.role, parts: [{ type: 'text', content: message.content }] },
  )
}
