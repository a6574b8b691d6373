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
  if (id === '') return `${field}: missing (${bytes} bytes required)`
  if (id === zero) return `${field}: all zero, which is not a valid id`
  return optionalId(field, id, bytes)
}

function optionalId(field: string, id: string, bytes: number): string | undefined {
  if (id === '' || id.length === bytes * 2) return undefined
  return `${field}: expected ${bytes} bytes, got ${id.length / 2}`
}

/** LogRecord.event_name, falling back to the `event.name` attribute older senders use. */
export function eventNameOf(record: LogRecord): string {
  if (record.eventName !== '') return record.eventName
  const legacy = record.attributes['event.name']
  return typeof legacy === 'string' ? legacy : ''
}
