import type { LogRecord, Span } from './model.js'
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from './values.js'

/*
 * Per-item validation shared by both encodings. A span or log record that fails is dropped and
 * counted (partial success) rather than failing the whole request. Ids arrive here as hex, two
 * characters per byte.
 */

const ZERO_TRACE_ID = '0'.repeat(TRACE_ID_BYTES * 2)
const ZERO_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2)

/** Why the span cannot be accepted, as `<field>: <problem>`, or undefined when it can. */
export function spanProblem(span: Span): string | undefined {
  const problem =
    requiredId('traceId', span.traceId, TRACE_ID_BYTES, ZERO_TRACE_ID) ??
    requiredId('spanId', span.spanId, SPAN_ID_BYTES, ZERO_SPAN_ID) ??
    optionalId('parentSpanId', span.parentSpanId, SPAN_ID_BYTES)
  if (problem !== undefined) return problem
  const code: number = span.status.code
  if (code !== 0 && code !== 1 && code !== 2) return `status.code: unknown value ${code}`
  for (let i = 0; i < span.links.length; i++) {
    const link = span.links[i]
    const linkProblem =
      requiredId(`links[${i}].traceId`, link.traceId, TRACE_ID_BYTES, ZERO_TRACE_ID) ??
      requiredId(`links[${i}].spanId`, link.spanId, SPAN_ID_BYTES, ZERO_SPAN_ID)
    if (linkProblem !== undefined) return linkProblem
  }
  // An all-zero parent is the invalid span id, which senders use to mean "no parent".
  if (span.parentSpanId === ZERO_SPAN_ID) span.parentSpanId = ''
  return undefined
}

/** Log records may carry no trace context; when they do, it must be well-formed. */
export function logRecordProblem(record: LogRecord): string | undefined {
  const problem =
    optionalId('traceId', record.traceId, TRACE_ID_BYTES) ?? optionalId('spanId', record.spanId, SPAN_ID_BYTES)
  if (problem !== undefined) return problem
  if (record.traceId === ZERO_TRACE_ID) record.traceId = ''
  if (record.spanId === ZERO_SPAN_ID) record.spanId = ''
  return undefined
}

function requiredId(field: string, id: string, bytes: number, zero: string): string | undefined {
  return idProblem(field, id === zero ? ALL_ZERO_ID : id.length / 2, bytes, true)
}

function optionalId(field: string, id: string, bytes: number): string | undefined {
  return idProblem(field, id.length / 2, bytes, false)
}

/** The shape of an id of the right length whose bytes are all zero. */
export const ALL_ZERO_ID = -1

/**
 * What an id gets wrong, if anything, from its shape: its byte length, or ALL_ZERO_ID. The
 * decoders judge hex ids by it and the protobuf check judges raw bytes, so both say the same.
 */
export function idProblem(field: string, shape: number, bytes: number, required: boolean): string | undefined {
  if (!required) return shape === 0 || shape === bytes || shape === ALL_ZERO_ID ? undefined : `${field}: expected ${bytes} bytes, got ${shape}`
  if (shape === 0) return `${field}: missing (${bytes} bytes required)`
  if (shape === ALL_ZERO_ID) return `${field}: all zero, which is not a valid id`
  return shape === bytes ? undefined : `${field}: expected ${bytes} bytes, got ${shape}`
}

/** LogRecord.event_name, falling back to the `event.name` attribute older senders use. */
export function eventNameOf(record: LogRecord): string {
  if (record.eventName !== '') return record.eventName
  const legacy = record.attributes['event.name']
  return typeof legacy === 'string' ? legacy : ''
}
