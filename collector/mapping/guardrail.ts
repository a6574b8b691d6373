/**
 * A guardrail span's verdict (GenAI `apply_guardrail`, OpenInference `GUARDRAIL`), normalised to
 * `allow` | `deny` | `modify` so rules need not know each guardrail's vocabulary; '' when the span
 * states none that is understood (its raw attributes stay on the event).
 */
import { type AttributeReader, parseMaybeJson } from './attributes.js'
import { messageRecord } from './content.js'

export type GuardrailVerdict = '' | 'allow' | 'deny' | 'modify'

/** Where the normalised verdict travels, pinned on the event's attributes. */
export const GUARDRAIL_VERDICT_ATTRIBUTE = 'guardrail.verdict'

const WORDS: Readonly<Record<string, GuardrailVerdict>> = {
  allow: 'allow', allowed: 'allow', pass: 'allow', passed: 'allow', ok: 'allow', approve: 'allow', approved: 'allow',
  accept: 'allow', accepted: 'allow', none: 'allow', safe: 'allow', compliant: 'allow',
  deny: 'deny', denied: 'deny', block: 'deny', blocked: 'deny', reject: 'deny', rejected: 'deny', fail: 'deny', failed: 'deny',
  flag: 'deny', flagged: 'deny', intervene: 'deny', intervened: 'deny', unsafe: 'deny', violation: 'deny', refuse: 'deny', refused: 'deny',
  modify: 'modify', modified: 'modify', redact: 'modify', redacted: 'modify', mask: 'modify', masked: 'modify',
  sanitize: 'modify', sanitized: 'modify', rewrite: 'modify', rewritten: 'modify', anonymize: 'modify', anonymized: 'modify',
}
/** Explicit verdict attributes, most specific first. */
const VERDICT_KEYS = ['gen_ai.guardrail.decision', 'gen_ai.guardrail.verdict'] as const
/** Fields of a JSON guardrail output that name the verdict in words. */
const WORD_FIELDS = ['decision', 'verdict', 'action', 'result', 'status'] as const
/** Boolean fields: true means the input passed… */
const PASS_FIELDS = ['passed', 'allowed', 'valid', 'safe'] as const
/** …or that the guardrail stopped it. */
const STOP_FIELDS = ['blocked', 'flagged', 'violation', 'triggered', 'tripwire_triggered'] as const

function word(value: unknown): GuardrailVerdict {
  if (typeof value !== 'string') return ''
  const key = value.trim().toLowerCase()
  return Object.hasOwn(WORDS, key) ? WORDS[key] : ''
}

function fromOutput(output: unknown): GuardrailVerdict {
  const direct = word(output)
  if (direct !== '') return direct
  const record = messageRecord(output)
  if (!record) return ''
  for (const field of WORD_FIELDS) {
    const found = word(record[field])
    if (found !== '') return found
  }
  for (const field of PASS_FIELDS) if (typeof record[field] === 'boolean') return record[field] ? 'allow' : 'deny'
  for (const field of STOP_FIELDS) if (typeof record[field] === 'boolean') return record[field] ? 'deny' : 'allow'
  return ''
}

/** The verdict: an explicit attribute, else what the guardrail's `output.value` says (a word, or a JSON object). */
export function guardrailVerdict(reader: AttributeReader): GuardrailVerdict {
  for (const key of VERDICT_KEYS) {
    const found = word(reader.peek(key))
    if (found !== '') return found
  }
  return fromOutput(parseMaybeJson(reader.peek('output.value')))
}
