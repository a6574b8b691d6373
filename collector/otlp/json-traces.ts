import { Rejections, toDecodeError, within } from './decode-failure.js'
import { spanProblem } from './item-checks.js'
import {
  asArray,
  asEnum,
  asHexId,
  asObject,
  asString,
  asUint64,
  field,
  parseJson,
  readAttributes,
  readResource,
  readScope,
  type JsonObject,
} from './json-common.js'
import type { DecodedTraces, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, SpanStatus } from './model.js'
import { REJECT_REASON_LIMIT } from './values.js'

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
}
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }

export function decodeTracesJson(body: Uint8Array | string): DecodedTraces {
  try {
    return readTracesRequest(parseJson(body))
  } catch (error) {
    throw toDecodeError(error, 'ExportTraceServiceRequest')
  }
}

/** For a body some other layer already parsed as JSON. */
export function decodeTracesJsonValue(value: unknown): DecodedTraces {
  try {
    return readTracesRequest(value)
  } catch (error) {
    throw toDecodeError(error, 'ExportTraceServiceRequest')
  }
}

function readTracesRequest(value: unknown): DecodedTraces {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  const root = asObject(value, '') ?? {}
  const list = asArray(field(root, 'resourceSpans', 'resource_spans'), 'resourceSpans')
  const resourceSpans: ResourceSpans[] = []
  for (let i = 0; i < list.length; i++) {
    try {
      resourceSpans.push(readResourceSpans(list[i], rejections, `resourceSpans[${i}]`))
    } catch (error) {
      within(`resourceSpans[${i}]`, error)
    }
  }
  return { request: { resourceSpans }, rejectedSpans: rejections.count, rejectReasons: rejections.reasons() }
}

function readResourceSpans(value: unknown, rejections: Rejections, at: string): ResourceSpans {
  const object = asObject(value, '') ?? {}
  const resource = readResource(object.resource)
  const list = asArray(field(object, 'scopeSpans', 'scope_spans'), 'scopeSpans')
  const scopeSpans: ScopeSpans[] = []
  for (let i = 0; i < list.length; i++) {
    try {
      scopeSpans.push(readScopeSpans(list[i], rejections, `${at}.scopeSpans[${i}]`))
    } catch (error) {
      within(`scopeSpans[${i}]`, error)
    }
  }
  return { resource, scopeSpans }
}

function readScopeSpans(value: unknown, rejections: Rejections, at: string): ScopeSpans {
  const object = asObject(value, '') ?? {}
  const scope = readScope(object.scope)
  const list = asArray(object.spans, 'spans')
  const spans: Span[] = []
  for (let i = 0; i < list.length; i++) {
    let read: { span: Span; problem?: string }
    try {
      read = readSpan(list[i])
    } catch (error) {
      within(`spans[${i}]`, error)
    }
    const problem = read.problem ?? spanProblem(read.span)
    if (problem === undefined) spans.push(read.span)
    else rejections.add(`${at}.spans[${i}].${problem}`)
  }
  return { scope, spans }
}

function readSpan(value: unknown): { span: Span; problem?: string } {
  const object = asObject(value, '') ?? {}
  const traceId = asHexId(field(object, 'traceId', 'trace_id'), 'traceId')
  const spanId = asHexId(field(object, 'spanId', 'span_id'), 'spanId')
  const parentSpanId = asHexId(field(object, 'parentSpanId', 'parent_span_id'), 'parentSpanId')
  let problem = traceId.problem ?? spanId.problem ?? parentSpanId.problem
  const eventList = asArray(object.events, 'events')
  const events: SpanEvent[] = []
  for (let i = 0; i < eventList.length; i++) {
    try {
      events.push(readEvent(eventList[i]))
    } catch (error) {
      within(`events[${i}]`, error)
    }
  }
  const linkList = asArray(object.links, 'links')
  const links: SpanLink[] = []
  for (let i = 0; i < linkList.length; i++) {
    try {
      const link = readLink(linkList[i], `links[${i}]`)
      problem ??= link.problem
      links.push(link.link)
    } catch (error) {
      within(`links[${i}]`, error)
    }
  }
  const span: Span = {
    traceId: traceId.id,
    spanId: spanId.id,
    parentSpanId: parentSpanId.id,
    traceState: asString(field(object, 'traceState', 'trace_state'), 'traceState'),
    name: asString(object.name, 'name'),
    kind: asEnum(object.kind, 'kind', SPAN_KINDS),
    startTimeUnixNano: asUint64(field(object, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano'),
    endTimeUnixNano: asUint64(field(object, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano'),
    attributes: readAttributes(object),
    events,
    links,
    status: readStatus(object.status),
  }
  return problem === undefined ? { span } : { span, problem }
}

function readEvent(value: unknown): SpanEvent {
  const object = asObject(value, '') ?? {}
  return {
    timeUnixNano: asUint64(field(object, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano'),
    name: asString(object.name, 'name'),
    attributes: readAttributes(object),
  }
}

function readLink(value: unknown, at: string): { link: SpanLink; problem?: string } {
  const object = asObject(value, '') ?? {}
  const traceId = asHexId(field(object, 'traceId', 'trace_id'), `${at}.traceId`)
  const spanId = asHexId(field(object, 'spanId', 'span_id'), `${at}.spanId`)
  const link: SpanLink = { traceId: traceId.id, spanId: spanId.id, attributes: readAttributes(object) }
  const problem = traceId.problem ?? spanId.problem
  return problem === undefined ? { link } : { link, problem }
}

function readStatus(value: unknown): SpanStatus {
  let object: JsonObject | undefined
  try {
    object = asObject(value, '')
  } catch (error) {
    within('status', error)
  }
  if (object === undefined) return { code: 0, message: '' }
  try {
    return {
      code: asEnum(object.code, 'code', STATUS_CODES) as SpanStatus['code'],
      message: asString(object.message, 'message'),
    }
  } catch (error) {
    within('status', error)
  }
}
