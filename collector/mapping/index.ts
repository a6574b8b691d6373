/**
 * Mapping: decoded OTLP export requests in, one SpanRecord per span or log record out, each with
 * its privpath events (tenant stamped, secrets redacted, content bounded, ids deterministic) and
 * what correlation needs. task_id is left '' for the correlator, which also decides delegations
 * and task boundaries (they need the parent span). Conventions: docs/conventions.md.
 * Not done yet: span links are ignored, and completion text is kept only as a bounded attribute.
 */
import type { ExportLogsServiceRequest, ExportTraceServiceRequest } from '../otlp/model.js'
import { AttributeReader } from './attributes.js'
import { resolveOptions } from './finish.js'
import { mapLogRecord } from './logs.js'
import type { MappingOptions, SpanRecord } from './record.js'
import { mapSpan } from './span.js'

export { DEFAULT_MAX_CONTENT_CHARS, DEFAULT_TENANT, MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTES, UNTRACED_TASK } from './record.js'
export type { MappingOptions, SpanRecord } from './record.js'
export { CONTRACT_EVENTS } from './contract.js'

export function mapTraceRequest(request: ExportTraceServiceRequest, options: MappingOptions = {}): SpanRecord[] {
  const resolved = resolveOptions(options)
  const records: SpanRecord[] = []
  for (const resourceSpans of request.resourceSpans) {
    const resource = new AttributeReader(resourceSpans.resource.attributes)
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) records.push(mapSpan(span, resource, scopeSpans.scope, resolved))
    }
  }
  return records
}

export function mapLogRequest(request: ExportLogsServiceRequest, options: MappingOptions = {}): SpanRecord[] {
  const resolved = resolveOptions(options)
  const records: SpanRecord[] = []
  for (const resourceLogs of request.resourceLogs) {
    const resource = new AttributeReader(resourceLogs.resource.attributes)
    for (const scopeLogs of resourceLogs.scopeLogs) {
      for (const record of scopeLogs.logRecords) records.push(mapLogRecord(record, resource, scopeLogs.scope, resolved))
    }
  }
  return records
}
