import { Rejections, within } from './decode-failure.js'
import { spanProblem } from './item-checks.js'
import {
  asArray,
  asEnum,
  asHexId,
  asObject,
  asString,
  asUint64,
  field,
  readAttributes,
  type JsonObject,
} from './json-common.js'
import type { DecodedTraces, ResourceSpans, Span, SpanEvent, SpanLink, SpanStatus } from './model.js'
import { jsonDecoder, readJsonEnvelopes, type JsonEnvelopeSignal } from './json-envelope.js'
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

const decoder = jsonDecoder('ExportTraceServiceRequest', (value) => readTracesRequest(value))

export function decodeTracesJson(body: Uint8Array | string): DecodedTraces {
  return decoder.body(body)
}

/** For a body some other layer already parsed as JSON. */
export function decodeTracesJsonValue(value: unknown): DecodedTraces {
  return decoder.value(value)
}

const TRACES: JsonEnvelopeSignal<Span> = {
  resources: ['resourceSpans', 'resource_spans'],
  scopes: ['scopeSpans', 'scope_spans'],
  items: ['spans', 'spans'],
  readItem: (value) => {
    const read = readSpan(value)
    return { item: read.span, problem: read.problem }
  },
  problem: spanProblem,
}

function readTracesRequest(value: unknown): DecodedTraces {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  const resourceSpans: ResourceSpans[] = readJsonEnvelopes(value, TRACES, rejections).map((r) => ({
    resource: r.resource,
    scopeSpans: r.scopes.map((sc) => ({ scope: sc.scope, spans: sc.items })),
  }))
  return { request: { resourceSpans }, rejectedSpans: rejections.count, rejectReasons: rejections.reasons() }
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
