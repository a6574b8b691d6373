/**
 * Reading an OPA decision-log upload: a JSON array of decision events, each checked field by
 * field (a malformed one refuses the whole upload, naming the field, so nothing of it is kept),
 * and reduced to what the collector keeps. Not kept: `metrics` (timings), `nd_builtin_cache`
 * (what non-deterministic builtins such as http.send returned: responses, tokens) and any field
 * OPA adds that privpath does not know.
 */
import { PrivpathError } from '../../core/errors.js'
import { MAX_ATTRIBUTE_CHARS } from '../mapping/index.js'

/** A decision event as the collector keeps it; every field holds its empty value when OPA sent none. */
export interface OpaDecision {
  decision_id: string
  /** As OPA sent it (RFC 3339, nanoseconds). */
  timestamp: string
  /** The same as nanoseconds since the epoch, in decimal: JSON numbers cannot hold them exactly. */
  time_unix_nano: string
  /** Lower-case hex; '' when OPA's distributed tracing is off or the query carried no trace context. */
  trace_id: string
  span_id: string
  /** The policy decision path (`authz/allow`); '' for an ad-hoc query. */
  path: string
  query: string
  labels: Record<string, string>
  requested_by: string
  req_id: string
  /** Bundle name → the revision that decided. */
  bundles: Record<string, string>
  /** JSON pointers OPA's mask policy erased or masked (`/input/password`). */
  erased: string[]
  masked: string[]
  /** The message of the error that ended the evaluation; '' when it succeeded. */
  error: string
  /** `input` and `result` as JSON text, cut to what an event attribute can keep; '' when absent. */
  input: string
  result: string
  /** `input.action` and `input.resource` (or `input.resource.id`) when they are strings: privpath's policy input. */
  action: string
  resource: string
}

/** A checked decision beside the event as sent: the result expression reads the latter. */
export interface ReadDecision {
  decision: OpaDecision
  raw: Record<string, unknown>
}

/**
 * JSON text is cut here to what an attribute keeps plus the margin redaction needs to see a
 * secret that straddles the cut (collector/mapping/finish.ts cuts the same way).
 */
const MAX_JSON_CHARS = MAX_ATTRIBUTE_CHARS + 4_096

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/
const TRACE_ID = /^[0-9a-fA-F]{32}$/
const SPAN_ID = /^[0-9a-fA-F]{16}$/

function malformed(at: string, message: string): PrivpathError {
  return new PrivpathError('PP_ERR_DECODE', `OPA decision log: ${at}: ${message}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return typeof value === 'string' ? `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"` : `a ${typeof value}`
}

/** Nanoseconds since the epoch of an RFC 3339 time with a zone; undefined when it is not one. */
export function rfc3339Nanos(text: string): bigint | undefined {
  const m = RFC3339.exec(text)
  if (!m) return undefined
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes] = m
  const parts = [year, month, day, hour, minute, second].map(Number)
  const ms = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5])
  const d = new Date(ms)
  // Date.UTC rolls 2026-02-31 over to March 3rd: a time that does not read back is no time
  const back = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
  if (back.some((part, i) => part !== parts[i])) return undefined
  const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000
  return BigInt(ms - offset) * 1_000_000n + BigInt(fraction.padEnd(9, '0'))
}

class FieldReader {
  constructor(
    private readonly event: Record<string, unknown>,
    private readonly at: string,
  ) {}

  string(field: string, required = false): string {
    const value = this.event[field]
    if (value === undefined || value === null) {
      if (required) throw malformed(`${this.at}.${field}`, 'required, missing')
      return ''
    }
    if (typeof value !== 'string') throw malformed(`${this.at}.${field}`, `expected a string, got ${describe(value)}`)
    if (required && value === '') throw malformed(`${this.at}.${field}`, 'required, empty')
    return value
  }

  hex(field: string, pattern: RegExp, digits: number): string {
    const value = this.string(field)
    if (value !== '' && !pattern.test(value)) throw malformed(`${this.at}.${field}`, `expected ${digits} hex digits, got ${describe(value)}`)
    return value.toLowerCase()
  }

  strings(field: string): string[] {
    const value = this.event[field]
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) throw malformed(`${this.at}.${field}`, `expected an array of strings, got ${describe(value)}`)
    value.forEach((item, i) => {
      if (typeof item !== 'string') throw malformed(`${this.at}.${field}[${i}]`, `expected a string, got ${describe(item)}`)
    })
    return value as string[]
  }

  object(field: string): Record<string, unknown> {
    const value = this.event[field]
    if (value === undefined || value === null) return {}
    if (!isObject(value)) throw malformed(`${this.at}.${field}`, `expected an object, got ${describe(value)}`)
    return value
  }

  labels(): Record<string, string> {
    const labels = this.object('labels')
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== 'string') throw malformed(`${this.at}.labels.${key}`, `expected a string, got ${describe(value)}`)
    }
    return labels as Record<string, string>
  }

  bundles(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [name, bundle] of Object.entries(this.object('bundles'))) {
      const revision = isObject(bundle) ? bundle.revision : undefined
      if (!isObject(bundle) || (revision !== undefined && typeof revision !== 'string')) {
        throw malformed(`${this.at}.bundles.${name}`, `expected { "revision": string }, got ${describe(bundle)}`)
      }
      out[name] = revision ?? ''
    }
    return out
  }

  requestId(): string {
    const value = this.event.req_id
    if (value === undefined || value === null) return ''
    if (typeof value !== 'number' || !Number.isInteger(value)) throw malformed(`${this.at}.req_id`, `expected an integer, got ${describe(value)}`)
    return String(value)
  }

  error(): string {
    const value = this.event.error
    if (value === undefined || value === null) return ''
    if (!isObject(value)) throw malformed(`${this.at}.error`, `expected an object, got ${describe(value)}`)
    const message = value.message ?? value.code
    return typeof message === 'string' && message !== '' ? message : 'evaluation error'
  }

  timestamp(): { text: string; nanos: bigint } {
    const text = this.string('timestamp', true)
    const nanos = rfc3339Nanos(text)
    if (nanos === undefined) throw malformed(`${this.at}.timestamp`, `expected an RFC 3339 time with a zone, got ${describe(text)}`)
    return { text, nanos }
  }
}

function jsonText(value: unknown): string {
  if (value === undefined) return ''
  const text = JSON.stringify(value)
  return text.length > MAX_JSON_CHARS ? text.slice(0, MAX_JSON_CHARS) : text
}

/** A string field of the input (privpath's policy input names the tool `action`, the target `resource.id`). */
function inputString(input: unknown, ...path: string[]): string {
  let value = input
  for (const key of path) value = isObject(value) ? value[key] : undefined
  return typeof value === 'string' ? value : ''
}

function readDecision(event: unknown, at: string): ReadDecision {
  if (!isObject(event)) throw malformed(at, `expected a decision event (an object), got ${describe(event)}`)
  const fields = new FieldReader(event, at)
  const time = fields.timestamp()
  const decision: OpaDecision = {
    decision_id: fields.string('decision_id', true),
    timestamp: time.text,
    time_unix_nano: time.nanos.toString(),
    trace_id: fields.hex('trace_id', TRACE_ID, 32),
    span_id: fields.hex('span_id', SPAN_ID, 16),
    path: fields.string('path'),
    query: fields.string('query'),
    labels: fields.labels(),
    requested_by: fields.string('requested_by'),
    req_id: fields.requestId(),
    bundles: fields.bundles(),
    erased: fields.strings('erased'),
    masked: fields.strings('masked'),
    error: fields.error(),
    input: jsonText(event.input),
    result: jsonText(event.result),
    action: inputString(event.input, 'action'),
    resource: inputString(event.input, 'resource') || inputString(event.input, 'resource', 'id'),
  }
  return { decision, raw: event }
}

/** Parses and checks an upload; throws PP_ERR_DECODE naming the first malformed field. */
export function readUpload(body: Buffer): ReadDecision[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new PrivpathError('PP_ERR_DECODE', `OPA decision log: body: not JSON: ${(error as Error).message}`, { cause: error })
  }
  if (!Array.isArray(parsed)) throw malformed('body', `expected a JSON array of decision events, got ${describe(parsed)}`)
  return parsed.map((event, i) => readDecision(event, `[${i}]`))
}
