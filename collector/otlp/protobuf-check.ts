import type { Reader } from 'protobufjs/minimal.js'

import { DecodeFailure, Rejections, toDecodeError, within } from './decode-failure.js'
import { ALL_ZERO_ID, idProblem } from './item-checks.js'
import { createReader, enter, leave, readInt64, skipField, takeBytes } from './protobuf-common.js'
import { MAX_VALUE_DEPTH, REJECT_REASON_LIMIT, SPAN_ID_BYTES, TRACE_ID_BYTES } from './values.js'

/*
 * Checks a protobuf export request and counts its items while building nothing: no spans, no
 * strings, no attribute maps. The receiver answers from it (400 with the decoder's message, or the
 * counts and reasons of a partial success), so a request can wait in the queue as its body alone
 * and be decoded when the pipeline takes it. It reads the same fields as protobuf-traces.ts and
 * protobuf-logs.ts through the same reader calls and names failures with the same paths, so every
 * verdict and message is the decoder's; check.test.ts holds the two to that on random bodies.
 */

export interface ExportCheck {
  /** Items in the request (spans or log records), accepted or not. */
  received: number
  rejected: number
  rejectReasons: string[]
}

interface CheckedSignal {
  resources: string
  scopes: string
  items: string
  /** Reads one item and says why it is rejected, or undefined when it is kept. */
  checkItem(reader: Reader): string | undefined
}

const TRACES: CheckedSignal = { resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans', checkItem: checkSpan }
const LOGS: CheckedSignal = { resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords', checkItem: checkLogRecord }

export function checkTracesProtobuf(body: Uint8Array): ExportCheck {
  return checkExport(body, TRACES, 'ExportTraceServiceRequest')
}

export function checkLogsProtobuf(body: Uint8Array): ExportCheck {
  return checkExport(body, LOGS, 'ExportLogsServiceRequest')
}

function checkExport(body: Uint8Array, signal: CheckedSignal, what: string): ExportCheck {
  const rejections = new Rejections(REJECT_REASON_LIMIT)
  // A span's path is only spelled out when it is rejected: most spans are not.
  const checkItem: CheckChild = (reader, parent, field, index) => {
    const problem = signal.checkItem(reader)
    if (problem !== undefined) rejections.add(`${parent}.${field}[${index}].${problem}`)
    return 1
  }
  const checkScope: CheckChild = (reader, parent, field, index) =>
    checkEnvelope(reader, `${parent}.${field}[${index}]`, 'scope', 26, signal.items, checkItem)
  let received = 0
  try {
    const reader = createReader(body)
    let index = 0
    while (reader.pos < reader.len) {
      const tag = reader.tag()
      if (tag !== 10) {
        skipField(reader, tag)
        continue
      }
      const at = `${signal.resources}[${index++}]`
      try {
        received += checkEnvelope(reader, at, 'resource', 10, signal.scopes, checkScope)
      } catch (error) {
        within(at, error)
      }
    }
  } catch (error) {
    throw toDecodeError(error, what)
  }
  return { received, rejected: rejections.count, rejectReasons: rejections.reasons() }
}

/** Checks the child `field[index]` of the envelope at path `parent`; returns the items received in it. */
type CheckChild = (reader: Reader, parent: string, field: string, index: number) => number

/**
 * A ResourceSpans or ScopeSpans (and their logs twins): a header message at field 1, a Resource or
 * an InstrumentationScope, and the repeated children at field 2. Returns the items received
 * below it; `at` is its path, which reasons for rejected items start with.
 */
function checkEnvelope(
  reader: Reader,
  at: string,
  header: string,
  headerAttributesTag: number,
  children: string,
  checkChild: CheckChild,
): number {
  const outer = enter(reader)
  let received = 0
  let index = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        checkAttributesMessage(reader, headerAttributesTag)
      } catch (error) {
        within(header, error)
      }
    } else if (tag === 18) {
      try {
        received += checkChild(reader, at, children, index)
      } catch (error) {
        within(`${children}[${index}]`, error)
      }
      index++
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return received
}

/**
 * A Resource (attributes at field 1) or an InstrumentationScope (attributes at field 3; its name
 * and version are strings, skipped as unknown fields are).
 */
function checkAttributesMessage(reader: Reader, attributesTag: number): void {
  const outer = enter(reader)
  let attribute = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === attributesTag) checkAttribute(reader, attribute++)
    else skipField(reader, tag)
  }
  leave(reader, outer)
}

function checkSpan(reader: Reader): string | undefined {
  const outer = enter(reader)
  let traceId = 0
  let spanId = 0
  let parentSpanId = 0
  let statusCode = 0
  let linkProblem: string | undefined
  let attribute = 0
  let events = 0
  let links = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: traceId = readIdShape(reader, TRACE_ID_BYTES); break
      case 18: spanId = readIdShape(reader, SPAN_ID_BYTES); break
      case 26: case 42: skipString(reader); break
      case 34: parentSpanId = readIdShape(reader, SPAN_ID_BYTES); break
      case 48: reader.int32(); break
      case 57: case 65: skipFixed64(reader); break
      case 74: checkAttribute(reader, attribute++); break
      case 90:
        try {
          checkEvent(reader)
        } catch (error) {
          within(`events[${events}]`, error)
        }
        events++
        break
      case 106:
        try {
          const problem = checkLink(reader, links)
          if (linkProblem === undefined) linkProblem = problem
        } catch (error) {
          within(`links[${links}]`, error)
        }
        links++
        break
      case 122:
        try {
          statusCode = checkStatus(reader)
        } catch (error) {
          within('status', error)
        }
        break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return (
    idProblem('traceId', traceId, TRACE_ID_BYTES, true) ??
    idProblem('spanId', spanId, SPAN_ID_BYTES, true) ??
    idProblem('parentSpanId', parentSpanId, SPAN_ID_BYTES, false) ??
    (statusCode === 0 || statusCode === 1 || statusCode === 2 ? undefined : `status.code: unknown value ${statusCode}`) ??
    linkProblem
  )
}

function checkEvent(reader: Reader): void {
  const outer = enter(reader)
  let attribute = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 9: skipFixed64(reader); break
      case 18: skipString(reader); break
      case 26: checkAttribute(reader, attribute++); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
}

/** Reads a link; its id problem is named with the link's index, as the decoder's check names it. */
function checkLink(reader: Reader, index: number): string | undefined {
  const outer = enter(reader)
  let traceId = 0
  let spanId = 0
  let attribute = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: traceId = readIdShape(reader, TRACE_ID_BYTES); break
      case 18: spanId = readIdShape(reader, SPAN_ID_BYTES); break
      case 34: checkAttribute(reader, attribute++); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return (
    idProblem(`links[${index}].traceId`, traceId, TRACE_ID_BYTES, true) ??
    idProblem(`links[${index}].spanId`, spanId, SPAN_ID_BYTES, true)
  )
}

function checkStatus(reader: Reader): number {
  const outer = enter(reader)
  let code = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 18: skipString(reader); break
      case 24: code = reader.int32(); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return code
}

function checkLogRecord(reader: Reader): string | undefined {
  const outer = enter(reader)
  let traceId = 0
  let spanId = 0
  let attribute = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 9: case 89: skipFixed64(reader); break
      case 16: reader.int32(); break
      case 26: case 98: skipString(reader); break
      case 42:
        try {
          checkAnyValue(reader, 0)
        } catch (error) {
          within('body', error)
        }
        break
      case 50: checkAttribute(reader, attribute++); break
      case 74: traceId = readIdShape(reader, TRACE_ID_BYTES); break
      case 82: spanId = readIdShape(reader, SPAN_ID_BYTES); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return idProblem('traceId', traceId, TRACE_ID_BYTES, false) ?? idProblem('spanId', spanId, SPAN_ID_BYTES, false)
}

function checkAttribute(reader: Reader, index: number): void {
  try {
    checkKeyValue(reader, 0)
  } catch (error) {
    within(`attributes[${index}]`, error)
  }
}

function checkKeyValue(reader: Reader, depth: number): void {
  const outer = enter(reader)
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      skipString(reader)
    } else if (tag === 18) {
      try {
        checkAnyValue(reader, depth)
      } catch (error) {
        within('value', error)
      }
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
}

function checkAnyValue(reader: Reader, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new DecodeFailure(`values nested deeper than ${MAX_VALUE_DEPTH} levels`)
  const outer = enter(reader)
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: case 58: skipString(reader); break
      case 16: reader.bool(); break
      case 24: readInt64(reader); break
      case 33: reader.double(); break
      case 42: checkValues(reader, depth + 1, 'arrayValue.values', checkAnyValue); break
      case 50: checkValues(reader, depth + 1, 'kvlistValue.values', checkKeyValue); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
}

/** An ArrayValue or KeyValueList: repeated field 1, each element checked by `checkElement`. */
function checkValues(reader: Reader, depth: number, field: string, checkElement: (reader: Reader, depth: number) => void): void {
  const outer = enter(reader)
  let index = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        checkElement(reader, depth)
      } catch (error) {
        within(`${field}[${index}]`, error)
      }
      index++
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
}

/** An id's byte length, or ALL_ZERO_ID when it has the length `bytes` and every byte is zero. */
function readIdShape(reader: Reader, bytes: number): number {
  const start = takeBytes(reader)
  const length = reader.pos - start
  if (length !== bytes) return length
  const buf = reader.buf
  for (let i = start; i < reader.pos; i++) if (buf[i] !== 0) return length
  return ALL_ZERO_ID
}

/** Moves past a string or bytes field; fails exactly where reading it would. */
function skipString(reader: Reader): void {
  reader.skip(reader.size())
}

function skipFixed64(reader: Reader): void {
  reader.fixed32()
  reader.fixed32()
}
