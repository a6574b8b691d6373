/**
 * Where in an event each redacted secret was, for rules and for the analyst: the user's request,
 * the system prompt, the model's output, a tool's arguments or result, or other attributes.
 * Recorded on the event as `redaction.where` (`place:kind` pairs) and `redaction.categories`.
 */
import type { EventKind } from '../../core/event.js'
import { secretCategory } from '../redact/index.js'

export type SecretPlace = 'request' | 'system' | 'model_output' | 'tool_arguments' | 'tool_result' | 'content' | 'attributes'

/** Roles of the `role: text` lines of prompt content (content.ts), as places. */
const ROLE_PLACES: Record<string, SecretPlace> = {
  user: 'request',
  human: 'request',
  system: 'system',
  developer: 'system',
  assistant: 'model_output',
  model: 'model_output',
  ai: 'model_output',
  tool: 'tool_result',
  function: 'tool_result',
  ipython: 'tool_result',
}

const ROLE_LINE = /^([a-z_]+): /
const PLACEHOLDER = /\[REDACTED:([a-z0-9_]+)\]/g
/** A `tool_call_response` part rendered into a user or assistant message (content.ts renderPart). */
const TOOL_RESULT_PART = 'tool_result '

/** Attribute keys that carry a tool's arguments or result when the mapper did not take them as fields. */
const TOOL_ARGUMENT_KEYS: ReadonlySet<string> = new Set(['gen_ai.tool.call.arguments', 'ai.toolCall.args', 'input.value', 'traceloop.entity.input'])
const TOOL_RESULT_KEYS: ReadonlySet<string> = new Set(['gen_ai.tool.call.result', 'ai.toolCall.result', 'output.value', 'traceloop.entity.output'])

export function attributePlace(eventKind: EventKind, key: string): SecretPlace {
  if (eventKind !== 'tool_invocation') return 'attributes'
  if (TOOL_RESULT_KEYS.has(key)) return 'tool_result'
  return TOOL_ARGUMENT_KEYS.has(key) ? 'tool_arguments' : 'attributes'
}

/** The place of `content` as a whole, for events whose content is not role lines. */
function contentPlace(eventKind: EventKind): SecretPlace | undefined {
  if (eventKind === 'reasoning_step') return 'model_output'
  if (eventKind === 'tool_invocation') return 'tool_result'
  return eventKind === 'prompt' ? undefined : 'content'
}

export class SecretPlaces {
  readonly kinds: string[] = []
  readonly pairs: string[] = []

  /** Records `found` (kinds of one value) at `place`. */
  note(place: SecretPlace, found: readonly string[]): void {
    for (const kind of found) {
      if (!this.kinds.includes(kind)) this.kinds.push(kind)
      const pair = `${place}:${kind}`
      if (!this.pairs.includes(pair)) this.pairs.push(pair)
    }
  }

  /**
   * Records the kinds found in `content`, placing each placeholder of prompt content by the role
   * of the message it sits in. Only kinds of `found` count: a placeholder the sender wrote itself
   * is no finding. A kind found but whose placeholder no role explains is placed as `content`.
   */
  noteContent(eventKind: EventKind, redacted: string, found: readonly string[]): void {
    if (found.length === 0) return
    const whole = contentPlace(eventKind)
    if (whole !== undefined) return this.note(whole, found)
    const placed = new Set<string>()
    let role: SecretPlace = 'content'
    for (const line of redacted.split('\n')) {
      const roleMatch = ROLE_LINE.exec(line)
      if (roleMatch) role = ROLE_PLACES[roleMatch[1]] ?? 'content'
      const resultFrom = line.indexOf(TOOL_RESULT_PART)
      for (const match of line.matchAll(PLACEHOLDER)) {
        if (!found.includes(match[1])) continue
        this.note(resultFrom !== -1 && match.index > resultFrom ? 'tool_result' : role, [match[1]])
        placed.add(match[1])
      }
    }
    this.note('content', found.filter((kind) => !placed.has(kind)))
  }

  /** The event's annotations, none when nothing was found. */
  attributes(): Record<string, string> {
    if (this.kinds.length === 0) return {}
    const categories: string[] = []
    for (const kind of this.kinds) {
      const category = secretCategory(kind)
      if (!categories.includes(category)) categories.push(category)
    }
    return { 'redaction.kinds': this.kinds.join(','), 'redaction.where': this.pairs.join(','), 'redaction.categories': categories.join(',') }
  }
}
