/** Export requests to span records: resource and scope read once, then each span or log record mapped (see index.ts). */
import type { ExportLogsServiceRequest, ExportTraceServiceRequest, InstrumentationScope, Resource } from '../otlp/index.js'
import { AttributeReader } from './attributes.js'
import { contextAttributes, resolveOptions } from './finish.js'
import { readResourceIdentity } from './identity.js'
import { mapLogRecord } from './logs.js'
import { mergeSharedInvocations } from './mcp.js'
import type { MappingOptions, ScopeShared, SpanRecord } from './record.js'
import { mapSpan } from './span.js'
import { quotedResponses } from './tool-calls.js'


/** What every span or record of one resource scope shares, read and redacted once for all of them. */
function sharedBy(resource: Resource, scopes: ReadonlyArray<{ scope: InstrumentationScope }>): ScopeShared[] {
  const reader = new AttributeReader(resource.attributes)
  const identity = readResourceIdentity(reader)
  const serviceName = reader.string('service.name')
  return scopes.map(({ scope }) => ({ identity, context: contextAttributes(serviceName, scope.name), serviceName }))
}

export function mapTraceRequest(request: ExportTraceServiceRequest, options: MappingOptions = {}): SpanRecord[] {
  const resolved = resolveOptions(options)
  const responses = resolved.captureContent ? quotedResponses(request) : undefined
  const records: SpanRecord[] = []
  for (const resourceSpans of request.resourceSpans) {
    const shared = sharedBy(resourceSpans.resource, resourceSpans.scopeSpans)
    resourceSpans.scopeSpans.forEach((scopeSpans, index) => {
      for (const span of scopeSpans.spans) records.push(mapSpan(span, shared[index], resolved, responses))
    })
  }
  mergeSharedInvocations(records)
  return records
}

export function mapLogRequest(request: ExportLogsServiceRequest, options: MappingOptions = {}): SpanRecord[] {
  const resolved = resolveOptions(options)
  const records: SpanRecord[] = []
  for (const resourceLogs of request.resourceLogs) {
    const shared = sharedBy(resourceLogs.resource, resourceLogs.scopeLogs)
    resourceLogs.scopeLogs.forEach((scopeLogs, index) => {
      for (const record of scopeLogs.logRecords) records.push(mapLogRecord(record, shared[index], resolved))
    })
  }
  return records
}
