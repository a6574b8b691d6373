// "Why": for an alert on a tool call, the chain that explains it — the call and its arguments, where
// each specific value in them first appeared in the task (the user's request, or a tool's result,
// with the text around it), and the user's request. The detector keeps only hashes of values, so
// the console rebuilds the chain from the task's stored (redacted) events. Every piece of content
// here is attacker-controlled: it goes into the page as text nodes only (dom.js), never as markup.
import { h } from './dom.js'
import { timeCell } from './format.js'

const PROVENANCE_RULES = ['privileged-call-steered-by-injection', 'tool-call-steered-by-injection', 'privileged-call-untrusted-target']

// A small port of detector/provenance/values.ts: the kinds a call is usually aimed at. Normalised
// the same way (case, separators) so a value written two ways still matches.
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/g
const URL_RE = /\bhttps?:\/\/[^\s"'<>()[\]{}|\\^`]{1,2048}/gi
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g
const NUMBER = /(?<![\w.-])\d(?:[\d -]{4,30}\d)(?![\w-]|\.\d)/g
const TRAILING = /[.,;:!?)\]}'"]+$/
const MAX_VALUES = 64

/**
 * The specific values in `text`: [{ kind, value (normalised), start, end, host? }]. A URL's or an
 * e-mail's host is kept beside it: an argument URL the text only names by its host still traces.
 */
export function findValues(text) {
  const out = []
  const taken = []
  const free = (start, end) => !taken.some(([s, e]) => start < e && end > s)
  const add = (found) => {
    if (out.length >= MAX_VALUES || found.value === '') return
    out.push(found)
    taken.push([found.start, found.end])
  }
  for (const m of text.matchAll(URL_RE)) {
    const raw = m[0].replace(TRAILING, '')
    const host = /^https?:\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(raw)?.[1]
    add({ kind: 'url', value: raw.toLowerCase().replace(/\/+$/, ''), start: m.index, end: m.index + raw.length, host: host?.toLowerCase().replace(/^www\./, '') })
  }
  for (const m of text.matchAll(EMAIL)) {
    if (!free(m.index, m.index + m[0].length)) continue
    add({ kind: 'email', value: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length, host: m[0].slice(m[0].indexOf('@') + 1).toLowerCase() })
  }
  for (const m of text.matchAll(IBAN)) {
    if (free(m.index, m.index + m[0].length)) add({ kind: 'iban', value: m[0].replace(/ /g, '').toUpperCase(), start: m.index, end: m.index + m[0].length })
  }
  for (const m of text.matchAll(NUMBER)) {
    const digits = m[0].replace(/[ -]/g, '')
    // six digits or more, as the detector: shorter numbers are amounts, dates and counts
    if (digits.length >= 6 && !/^\d{4}-\d{2}-\d{2}$/.test(m[0]) && free(m.index, m.index + m[0].length)) {
      add({ kind: 'number', value: digits, start: m.index, end: m.index + m[0].length })
    }
  }
  return out.sort((a, b) => a.start - b.start)
}

/** The values a call's arguments (JSON, or plain text when not JSON) carry, each once. */
export function argumentValues(argumentsText) {
  const texts = []
  const visit = (value, depth) => {
    if (depth > 6 || texts.length >= 256) return
    if (typeof value === 'string' || typeof value === 'number') texts.push(String(value))
    else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1)
    else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) visit(item, depth + 1)
  }
  try {
    visit(JSON.parse(argumentsText), 0)
  } catch {
    texts.push(argumentsText)
  }
  const seen = new Set()
  return texts.flatMap(findValues).filter((v) => !seen.has(`${v.kind}:${v.value}`) && seen.add(`${v.kind}:${v.value}`))
}

/** The `role: text` lines of prompt content by role (as detector/provenance linesByRole). */
function linesByRole(content) {
  const roles = new Map()
  let role = ''
  for (const line of content.split('\n')) {
    const m = /^(user|system|assistant|tool|developer|human|ai|model|function):\s?(.*)$/i.exec(line)
    if (m) role = m[1].toLowerCase()
    if (role === '') continue
    const text = m ? m[2] : line
    roles.set(role, roles.has(role) ? `${roles.get(role)}\n${text}` : text)
  }
  return roles
}

/** `text` around [start, end): { before, match, after }, at most `radius` characters each side, on one line. */
export function excerpt(text, start, end, radius = 80) {
  const flat = (s) => s.replace(/\s+/g, ' ')
  const from = Math.max(0, start - radius)
  const to = Math.min(text.length, end + radius)
  return {
    before: (from > 0 ? '…' : '') + flat(text.slice(from, start)),
    match: text.slice(start, end),
    after: flat(text.slice(end, to)) + (to < text.length ? '…' : ''),
  }
}

/** The texts of an event a value can come from, with where they are: [{ where, text }]. */
function textsOf(event) {
  const out = []
  if (event.tool_result) out.push({ where: 'result', text: event.tool_result })
  if (event.content) {
    if (event.kind === 'prompt') for (const [role, text] of linesByRole(event.content)) out.push({ where: role, text })
    else out.push({ where: 'content', text: event.content })
  }
  return out
}

function locate(value, texts) {
  for (const { where, text } of texts) {
    const hit = findValues(text).find((f) => (f.kind === value.kind && f.value === value.value) || (value.kind === 'domain' && f.host === value.value))
    if (hit) return { where, text, hit }
  }
  return undefined
}

/**
 * Where each value of the call's arguments first appeared among `events` before the call. As in
 * the detector, a value the user wrote is the user's wherever else it also appears; otherwise the
 * earliest text holding it wins. A URL not found whole is traced by its host.
 */
export function traceValues(call, events) {
  const at = events.findIndex((e) => e.event_id === call.event_id)
  const before = (at === -1 ? events : events.slice(0, at)).filter((e) => e.event_id !== call.event_id)
  const sourced = before.map((event) => ({ event, texts: textsOf(event) }))
  const find = (value) => {
    for (const { event, texts } of sourced) {
      const user = locate(value, texts.filter((t) => t.where === 'user'))
      if (user) return { event, ...user }
    }
    for (const { event, texts } of sourced) {
      const found = locate(value, texts)
      if (found) return { event, ...found }
    }
    return undefined
  }
  return argumentValues(call.tool_arguments).map((value) => {
    const source = find(value) ?? (value.host ? find({ kind: 'domain', value: value.host }) : undefined)
    return { value, source }
  })
}

/** The user's request: the `user:` lines of the task's prompts before the call, shortened. */
export function userRequest(call, events, max = 400) {
  const at = events.findIndex((e) => e.event_id === call.event_id)
  const text = (at === -1 ? events : events.slice(0, at))
    .filter((e) => e.kind === 'prompt' && e.content)
    .map((e) => linesByRole(e.content).get('user') ?? '')
    .filter((t) => t.trim() !== '')
    .join('\n')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** Alerts worth a chain: the provenance rules, or any incident whose first event is a call with arguments. */
function chainCall(alert, eventsById) {
  const call = eventsById.get(alert.event_ids[0])
  if (!call || call.kind !== 'tool_invocation' || alert.category === 'posture') return undefined
  return call.tool_arguments || PROVENANCE_RULES.includes(alert.rule_id) ? call : undefined
}

function sourceLabel(source, injectedEvent) {
  if (source.where === 'user') return "from the user's request"
  if (source.where === 'system') return 'from the system prompt'
  const tool = source.event.tool_name || source.event.name || source.event.kind
  if (source.where === 'result') {
    return source.event.event_id === injectedEvent ? `from instructions injected into the result of ${tool}` : `from the result of ${tool}`
  }
  return `from the ${source.where === 'content' ? source.event.kind.replace(/_/g, ' ') : source.where} content of ${tool}`
}

function valueStep(value, source, injectedEvent) {
  if (!source) {
    return h('li', { class: 'chain-value unsourced' },
      h('span', { class: 'muted' }, `${value.kind} `), h('code', {}, value.value), ' — not found earlier in this task (or its content was not captured)')
  }
  const { before, match, after } = excerpt(source.text, source.hit.start, source.hit.end)
  const origin = source.where === 'user' ? 'user' : source.event.event_id === injectedEvent ? 'injected' : 'tool'
  return h('li', { class: `chain-value origin-${origin}`, dataset: { sourceEventId: source.event.event_id } },
    h('span', { class: 'muted' }, `${value.kind} `), h('code', {}, value.value), ' ',
    h('span', { class: 'chain-source' }, sourceLabel(source, injectedEvent)), ' ',
    timeCell(source.event.ts),
    h('blockquote', { class: 'excerpt' }, before, h('mark', {}, match), after),
  )
}

/** One "Why" block per call that alerts name first: the call, its values' sources, the user's request. */
export function provenanceBlocks(alerts, events) {
  const eventsById = new Map(events.map((e) => [e.event_id, e]))
  const byCall = new Map()
  for (const alert of alerts) {
    const call = chainCall(alert, eventsById)
    if (call) byCall.set(call, [...(byCall.get(call) ?? []), alert])
  }
  return [...byCall].map(([call, named]) => chainBlock(call, named, events))
}

function chainBlock(call, alerts, events) {
  // The detector names the event whose injected text a steered call followed: "(event <id>)".
  const steered = alerts.find((a) => /instructions injected into/.test(a.summary))
  const injectedEvent = steered ? /\(event ([^\s)]+)\)/.exec(steered.summary)?.[1] : undefined
  const traced = traceValues(call, events)
  const request = userRequest(call, events)
  return h('div', { class: 'chain', dataset: { eventId: call.event_id, ruleIds: alerts.map((a) => a.rule_id).join(' ') } },
    h('h3', {}, 'Why ', h('code', {}, call.tool_name), ': ', alerts.map((a, i) => [i > 0 ? ', ' : '', h('span', { class: `sev sev-${a.severity}` }, a.severity), ' ', a.rule_title])),
    h('ol', { class: 'chain-steps' },
      h('li', { class: 'chain-call' }, h('span', { class: 'muted' }, 'call '), h('code', {}, call.tool_name), ' ', timeCell(call.ts),
        h('pre', { class: 'arguments' }, call.tool_arguments || '(no arguments captured)')),
      h('li', { class: 'chain-values' },
        traced.length === 0 ? h('span', { class: 'muted' }, 'No addresses, URLs, account numbers or long numbers in the arguments.')
          : h('ul', {}, traced.map(({ value, source }) => valueStep(value, source, injectedEvent)))),
      h('li', { class: 'chain-request' }, h('span', { class: 'muted' }, "user's request "),
        request === '' ? h('span', { class: 'muted' }, '(none captured)') : h('q', {}, request)),
    ),
  )
}
