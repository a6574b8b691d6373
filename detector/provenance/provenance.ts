/**
 * Where the values a task acts on came from. In: the texts a task saw — the user's request and the
 * system prompt (`user:` / `system:` lines of prompt content), tool results (trusted, or untrusted
 * per `detector.untrusted_output_tools`) with the ranges of injected instructions in them. Out: for
 * a tool call's arguments, each value's origin, the event it first appeared in, and whether it sat
 * in text addressed to the assistant (an injection attempt) rather than in ordinary data.
 * Not here: judging the call (rules do), or keeping raw text (only keyed hashes are held).
 *
 * A value the user wrote is the user's wherever else it appears: the user pointed at it. Otherwise
 * the first appearance wins.
 */
import { argumentPhrases, findValues, phrasesOf, type ValueHasher, type ValueKind } from './values.js'

export type Origin = 'user' | 'system' | 'tool' | 'untrusted_tool'

interface Seen {
  origin: Origin
  event_id: string
  tool: string
  injected: boolean
}

/** One value of a tool call's arguments, as rules see it (`provenance.arguments`). */
export interface ArgumentOrigin {
  kind: ValueKind
  /** The value as normalised (it is in the call's own arguments). */
  value: string
  /** Where it first appeared; `unknown` when the task never saw it (the model made it up, or it came from elsewhere). */
  origin: Origin | 'unknown'
  source_event_id: string
  source_tool: string
  /** It first appeared inside injected instructions in a tool result. */
  injected: boolean
}

/** Values remembered per task at most; beyond it new values are not remembered (counted). */
const MAX_VALUES_PER_TASK = 4_096

export class TaskProvenance {
  private readonly seen = new Map<string, Seen>()
  dropped = 0
  /** Some text the task saw held injected instructions (the decision endpoint's policy context). */
  injected = false
  /** The task read output of an untrusted tool (the decision endpoint's policy context). */
  untrusted = false

  constructor(private readonly hasher: ValueHasher) {}

  get size(): number {
    return this.seen.size
  }

  /** Remembers the values of `text` as seen in an event; `injections` are ranges of injected instructions in it. */
  record(text: string, origin: Origin, eventId: string, tool: string, injections: ReadonlyArray<{ start: number; end: number }> = []): void {
    if (injections.length > 0) this.injected = true
    if (origin === 'untrusted_tool') this.untrusted = true
    for (const found of findValues(text)) {
      const injected = injections.some((range) => found.start < range.end && found.end > range.start)
      this.remember(found.kind, found.value, { origin, event_id: eventId, tool, injected })
    }
    // Names (a hotel, a channel, a person) have no shape to find: the phrases of the user's words and
    // of injected instructions are remembered, so a call naming one can be traced to either.
    const phraseTexts = origin === 'user' ? [text] : injections.map((range) => text.slice(range.start, range.end))
    for (const part of phraseTexts) {
      for (const phrase of phrasesOf(part)) this.remember('phrase', phrase, { origin, event_id: eventId, tool, injected: origin !== 'user' })
    }
  }

  /** The origin of each value in a tool call's arguments: named phrases first, then shaped values. */
  trace(argumentsText: string): ArgumentOrigin[] {
    const phrases = argumentPhrases(argumentsText)
      .map((phrase) => ({ phrase, seen: this.seen.get(this.hasher.hash('phrase', phrase)) }))
      .filter((p): p is { phrase: string; seen: Seen } => p.seen !== undefined)
      .map(({ phrase, seen }) => originOf('phrase', phrase, seen))
    return [...phrases, ...findValues(argumentsText).map((found) => originOf(found.kind, found.value, this.seen.get(this.hasher.hash(found.kind, found.value))))]
  }

  /** First appearance wins, except that the user's own words take a value over; bounded per task. */
  private remember(kind: ValueKind, value: string, seen: Seen): void {
    const key = this.hasher.hash(kind, value)
    const before = this.seen.get(key)
    if (before !== undefined && (before.origin === 'user' || seen.origin !== 'user')) return
    if (before === undefined && this.seen.size >= MAX_VALUES_PER_TASK) {
      this.dropped++
      return
    }
    this.seen.set(key, seen)
  }
}

function originOf(kind: ValueKind, value: string, seen: Seen | undefined): ArgumentOrigin {
  return {
    kind,
    value,
    origin: seen?.origin ?? 'unknown',
    source_event_id: seen?.event_id ?? '',
    source_tool: seen?.tool ?? '',
    injected: seen?.injected ?? false,
  }
}

/** The `role: text` lines of prompt content, by role (collector/mapping/content.ts writes them). */
export function linesByRole(content: string): Map<string, string> {
  const roles = new Map<string, string>()
  let role = ''
  for (const line of content.split('\n')) {
    const m = /^(user|system|assistant|tool|developer|human|ai|model|function):\s?(.*)$/i.exec(line)
    if (m) role = m[1].toLowerCase()
    const text = m ? m[2] : line
    if (role === '') continue
    roles.set(role, roles.has(role) ? `${roles.get(role)}\n${text}` : text)
  }
  return roles
}
