import type { Reader } from 'protobufjs/minimal.js'

import { Rejections, toDecodeError, within } from './decode-failure.js'
import { spanProblem } from './item-checks.js'
import type {
  Attributes,
  DecodedTraces,
  ResourceSpans,
  Span,
  SpanEvent,
  SpanLink,
  SpanStatus,
} from './model.js'
import {
  enter,
  leave,
  readAttribute,
  readFixed64,
  readHex,
  skipField,
} from './protobuf-common.js'
import { readEnvelopes, type EnvelopeSignal } from './protobuf-envelope.js'
import { readString } from './string-cache.js'
import { REJECT_REASON_LIMIT } from './values.js'

/*
 * Field numbers: opentelemetry/proto/collector/trace/v1/trace_service.proto and
 * trace/v1/trace.proto. Tags in the switches are field << 3 | wire type.
 */

const TRACES: EnvelopeSignal<Span> = {
  resources: 'resourceSpans',
  scopes: 'scopeSpans',
  items: 'spans',
  readItem: (reader) => readSpan(reader),
  problem: spanProblem,
}

export function decodeTracesProtobuf(body: Uint8Array): DecodedTraces {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  try {
    const resourceSpans: ResourceSpans[] = readEnvelopes(body, TRACES, rejections).map((r) => ({
      resource: r.resource,
      scopeSpans: r.scopes.map((s) => ({ scope: s.scope, spans: s.items })),
    }))
    return { request: { resourceSpans }, rejectedSpans: rejections.count, rejectReasons: rejections.reasons() }
  } catch (error) {
    throw toDecodeError(error, 'ExportTraceServiceRequest')
  }
}

function readSpan(reader: Reader): Span {
  const outer = enter(reader)
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
  }
  let attributeIndex = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: span.traceId = readHex(reader); break
      case 18: span.spanId = readHex(reader); break
      case 26: span.traceState = readString(reader); break
      case 34: span.parentSpanId = readHex(reader); break
      case 42: span.name = readString(reader); break
      case 48: span.kind = reader.int32(); break
      case 57: span.startTimeUnixNano = readFixed64(reader); break
      case 65: span.endTimeUnixNano = readFixed64(reader); break
      case 74: readAttribute(reader, span.attributes, attributeIndex++); break
      case 90:
        try {
          span.events.push(readEvent(reader))
        } catch (error) {
          within(`events[${span.events.length}]`, error)
        }
        break
      case 106:
        try {
          span.links.push(readLink(reader))
        } catch (error) {
          within(`links[${span.links.length}]`, error)
        }
        break
      case 122:
        try {
          span.status = readStatus(reader)
        } catch (error) {
          within('status', error)
        }
        break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return span
}

function readEvent(reader: Reader): SpanEvent {
  const outer = enter(reader)
  const event: SpanEvent = { timeUnixNano: 0n, name: '', attributes: {} }
  let attributeIndex = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 9: event.timeUnixNano = readFixed64(reader); break
      case 18: event.name = readString(reader); break
      case 26: readAttribute(reader, event.attributes, attributeIndex++); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return event
}

function readLink(reader: Reader): SpanLink {
  const outer = enter(reader)
  const attributes: Attributes = {}
  const link: SpanLink = { traceId: '', spanId: '', attributes }
  let attributeIndex = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: link.traceId = readHex(reader); break
      case 18: link.spanId = readHex(reader); break
      case 34: readAttribute(reader, attributes, attributeIndex++); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return link
}

/** Status.code is kept as sent; `spanProblem` rejects values outside the enum. */
function readStatus(reader: Reader): SpanStatus {
  const outer = enter(reader)
  const status = { code: 0, message: '' }
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 18: status.message = readString(reader); break
      case 24: status.code = reader.int32(); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return status as SpanStatus
}
