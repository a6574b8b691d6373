/**
 * Prompt and reasoning text out of the message shapes each convention uses, rendered as
 * `role: text` lines so that redaction, truncation and display work on plain text.
 */
import type { AnyValue } from '../otlp/index.js'
import { rememberedTest } from '../redact/index.js'
import { type AttributeReader, indexedEntries, parseMaybeJson, stringify } from './attributes.js'

/** Attribute keys (and their `.`-children) that carry prompt/completion/tool content. */
const CONTENT_KEY =
  /^(?:gen_ai\.(?:input\.messages|output\.messages|system_instructions|prompt|completion|tool\.call\.arguments|tool\.call\.result|tool\.definitions)|input\.value|output\.value|llm\.(?:input_messages|output_messages|prompts|prompt_template)|traceloop\.entity\.(?:input|output)|ai\.prompt|ai\.response\.(?:text|object|toolCalls|reasoning)|ai\.toolCall\.(?:args|result)|ai\.values?|agent\.step\.content|log\.body)(?:\.|$)/

export const isContentKey = rememberedTest(CONTENT_KEY)

/** A message or part as an object; undefined for anything else. */
export function messageRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}
const record = messageRecord
const text = partText

/** A part's field as text: strings as they are, structures as JSON. */
export function partText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  return stringify(value as AnyValue)
}

function renderPart(part: unknown): string {
  const p = record(part)
  if (!p) return text(part)
  const type = typeof p.type === 'string' ? p.type : 'text'
  switch (type) {
    case 'text':
    case 'reasoning':
      return text(p.content ?? p.text)
    case 'tool_call':
    case 'tool-call':
      return `tool_call ${text(p.name ?? p.toolName)}(${text(p.arguments ?? p.args ?? p.input)})`
    case 'tool_call_response':
    case 'tool-result':
      return `tool_result ${text(p.response ?? p.result ?? p.output)}`
    default:
      return p.content !== undefined || p.text !== undefined ? text(p.content ?? p.text) : `[${type}]`
  }
}

function renderContent(content: unknown): string {
  if (Array.isArray(content)) return content.map(renderPart).filter((part) => part !== '').join(' ')
  return text(content)
}

/** GenAI (`parts`), OpenAI-like and Vercel (`content` string or parts) message lists. */
function renderMessages(value: unknown): string {
  if (typeof value === 'string') return value
  const single = record(value)
  if (single && Array.isArray(single.messages)) {
    const system = single.system === undefined ? '' : `system: ${text(single.system)}\n`
    const prompt = single.prompt === undefined ? '' : `\nuser: ${renderContent(single.prompt)}`
    return `${system}${renderMessages(single.messages)}${prompt}`.trim()
  }
  if (single && (single.prompt !== undefined || single.system !== undefined)) {
    return [single.system === undefined ? '' : `system: ${text(single.system)}`, single.prompt === undefined ? '' : `user: ${renderContent(single.prompt)}`]
      .filter((line) => line !== '')
      .join('\n')
  }
  if (!Array.isArray(value)) return value === undefined ? '' : text(value)
  return value
    .map((message) => {
      const m = record(message)
      if (!m) return text(message)
      const body = renderContent(m.parts ?? m.content)
      return typeof m.role === 'string' ? `${m.role}: ${body}` : body
    })
    .filter((line) => line !== '')
    .join('\n')
}

/** `role`/`content` entries of a flattened list such as `gen_ai.prompt.0.role`. */
function renderIndexed(entries: Array<Record<string, AnyValue>>, roleKey: string, contentKey: string): string {
  return entries
    .map((entry) => {
      const role = stringify(entry[roleKey])
      const body = stringify(entry[contentKey])
      return role === '' ? body : `${role}: ${body}`
    })
    .filter((line) => line.trim() !== '')
    .join('\n')
}

/** OpenInference messages: `message.content`, or the texts of `message.contents.M.message_content.text`. */
function renderOpenInference(entries: Array<Record<string, AnyValue>>): string {
  return entries
    .map((entry) => {
      let body = stringify(entry['message.content'])
      if (body === '') {
        body = Object.keys(entry)
          .filter((key) => /^message\.contents\.\d+\.message_content\.text$/.test(key))
          .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
          .map((key) => stringify(entry[key]))
          .join(' ')
      }
      const role = stringify(entry['message.role'])
      return role === '' ? body : `${role}: ${body}`
    })
    .filter((line) => line.trim() !== '')
    .join('\n')
}

/**
 * The prompt of an LLM span. Every known source is read (so none is also kept as a plain
 * attribute) and the most structured non-empty one wins.
 */
export function promptContent(reader: AttributeReader): string {
  const instructions = renderMessages(parseMaybeJson(reader.value('gen_ai.system_instructions')))
  const candidates = [
    renderMessages(parseMaybeJson(reader.value('gen_ai.input.messages'))),
    renderIndexed(indexedEntries(reader, 'gen_ai.prompt'), 'role', 'content'),
    reader.string('gen_ai.prompt'),
    renderOpenInference(indexedEntries(reader, 'llm.input_messages')),
    renderMessages(parseMaybeJson(reader.value('ai.prompt.messages'))),
    renderMessages(parseMaybeJson(reader.value('ai.prompt'))),
    reader.string('input.value'),
    reader.string('traceloop.entity.input'),
  ]
  const prompt = candidates.find((candidate) => candidate !== '') ?? ''
  return instructions === '' ? prompt : `system: ${instructions}\n${prompt}`.trim()
}

/** Parsed messages (genAiOutput) as `role: text` lines, '' for none. */
export function messagesText(messages: unknown): string {
  return messages === undefined ? '' : renderMessages(messages)
}

/** `gen_ai.output.messages` parsed, without marking it used (it stays in `attributes`). */
export function genAiOutput(reader: AttributeReader): unknown {
  return parseMaybeJson(reader.attributes['gen_ai.output.messages'])
}

/** Reasoning parts of the output, one string each: GenAI output messages (parsed: genAiOutput), OpenInference contents, Vercel. */
export function reasoningParts(reader: AttributeReader, output: unknown = genAiOutput(reader)): string[] {
  const parts: string[] = []
  if (Array.isArray(output)) {
    for (const message of output) {
      const m = record(message)
      const list = m && Array.isArray(m.parts) ? m.parts : []
      for (const part of list) {
        const p = record(part)
        if (p?.type === 'reasoning') parts.push(text(p.content ?? p.text))
      }
    }
  }
  const reasoningKey = /^llm\.output_messages\.\d+\.message\.contents\.\d+\.message_content\.type$/
  for (const key in reader.attributes) {
    if (reader.attributes[key] === 'reasoning' && reasoningKey.test(key) && Object.hasOwn(reader.attributes, key)) {
      const textKey = key.replace(/\.type$/, '.text')
      parts.push(reader.string(textKey))
    }
  }
  const vercel = reader.string('ai.response.reasoning')
  if (vercel !== '') parts.push(vercel)
  return parts.filter((part) => part !== '')
}

/** Content events GenAI instrumentations attach to LLM spans or emit as logs (pre-1.36 forms). */
export const GENAI_PROMPT_EVENTS = new Set([
  'gen_ai.content.prompt',
  'gen_ai.system.message',
  'gen_ai.user.message',
  'gen_ai.assistant.message',
  'gen_ai.tool.message',
])

/** Text of a GenAI content event: `gen_ai.prompt` attribute, or a body/attribute `content`. */
export function promptEventContent(name: string, reader: AttributeReader, body: AnyValue | undefined): string {
  if (name === 'gen_ai.content.prompt') return renderMessages(parseMaybeJson(reader.value('gen_ai.prompt')))
  const role = name.replace(/^gen_ai\./, '').replace(/\.message$/, '')
  const source = body !== undefined && body !== null && body !== '' ? parseMaybeJson(body) : parseMaybeJson(reader.value('content'))
  const b = record(source)
  const content = b ? renderContent(b.content ?? b.parts) : text(source)
  return content === '' ? '' : `${role}: ${content}`
}
