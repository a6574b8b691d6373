import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api'
import { SeverityNumber } from '@opentelemetry/api-logs'
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'

import { agentTaskJsonRequests, agentTaskRequests } from '../../testkit/fixtures/agent-tasks.js'
import { decodeLogs, decodeTraces } from './decode.js'
import type { AnyValue, Attributes, ExportTraceServiceRequest, Span } from './model.js'

// Real SDK data through the real OTLP serialisers, compared field by field with what the SDK held.

const resource = resourceFromAttributes({
  'service.name': 'support-agent',
  'tenant.id': 'tenant-a',
  'service.instance.id': 'pod-7',
})

function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])
}

/** What OTLP carries for an SDK attribute value: integers as int64, others as they are. */
function expectedValue(value: unknown): AnyValue {
  if (value === undefined || value === null) return null
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return BigInt(value)
  if (Array.isArray(value)) return value.map(expectedValue)
  if (value instanceof Uint8Array) return new Uint8Array(value)
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expectedValue(v)]))
  }
  return value as AnyValue
}

function expectedAttributes(attributes: Record<string, unknown> | undefined): Attributes {
  return Object.fromEntries(Object.entries(attributes ?? {}).map(([k, v]) => [k, expectedValue(v)]))
}

function expectedSpan(span: ReadableSpan): Span {
  const context = span.spanContext()
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: context.traceState?.serialize() ?? '',
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: expectedAttributes(span.attributes),
    events: span.events.map((e) => ({
      timeUnixNano: nanos(e.time),
      name: e.name,
      attributes: expectedAttributes(e.attributes),
    })),
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: expectedAttributes(l.attributes),
    })),
    status: { code: span.status.code as 0 | 1 | 2, message: span.status.message ?? '' },
  }
}

function allSpans(request: ExportTraceServiceRequest): Span[] {
  return request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
}

function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const tracer = provider.getTracer('agent-framework', '2.1.0')
  // Sub-millisecond digits and a post-2^53-ns epoch, so float rounding would show.
  const start: HrTime = [1_780_000_123, 987_654_321]
  const root = tracer.startSpan('invoke_agent planner', {
    kind: SpanKind.SERVER,
    startTime: start,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'agent.task.id': 'task-42',
      'tenant.id': 'tenant-a',
      'gen_ai.usage.input_tokens': 1234,
      'gen_ai.request.temperature': 0.25,
      'agent.delegated': true,
      'gen_ai.response.finish_reasons': ['stop', 'tool_calls'],
      'agent.step.scores': [0.5, 1.5, -2.25],
      'agent.flags': [true, false],
      'agent.counts': [1, 2, 3],
      'big.negative': -9_007_199_254_740_991,
      'big.power': 2 ** 60,
      'negative.small': -7,
      'unicode.text': 'naïve — 東京 🚀',
      'empty.text': '',
    },
  })
  const inTask = trace.setSpan(ROOT_CONTEXT, root)
  const chat = tracer.startSpan('chat gpt-4o', { kind: SpanKind.CLIENT, startTime: [1_780_000_124, 1] }, inTask)
  chat.setAttribute('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: 'x'.repeat(300) }]))
  chat.end([1_780_000_125, 999_999_999])
  const tool = tracer.startSpan(
    'execute_tool read_file',
    {
      kind: SpanKind.INTERNAL,
      startTime: [1_780_000_126, 500],
      links: [{ context: chat.spanContext(), attributes: { 'link.kind': 'caused_by', 'link.weight': 3 } }],
    },
    inTask,
  )
  tool.setAttributes({ 'gen_ai.tool.name': 'read_file', 'credential.id': 'cred-1', 'target.tenant.id': 'tenant-b' })
  tool.addEvent(
    'credential.issued',
    { 'credential.id': 'cred-1', 'credential.scopes': ['a:read', 'b:write'], 'credential.ttl_s': 900 },
    [1_780_000_126, 600],
  )
  tool.addEvent('authz.decision', { 'authz.result': 'deny', 'authz.policy': 'p1' }, [1_780_000_126, 700])
  tool.addEvent('credential.revoked', undefined, [1_780_000_126, 800])
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'denied: tenant-b' })
  tool.end([1_780_000_127, 0])
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    tracer.startSpan(`queue ${kind}`, { kind, startTime: [1_780_000_128, kind] }, inTask).end([1_780_000_129, 0])
  }
  root.setStatus({ code: SpanStatusCode.OK })
  root.end([1_780_000_130, 123])
  return exporter.getFinishedSpans()
}

describe('OTLP traces from the OpenTelemetry JS SDK', () => {
  const spans = recordSpans()
  const protobuf = ProtobufTraceSerializer.serializeRequest(spans)!
  const json = JsonTraceSerializer.serializeRequest(spans)!

  for (const [encoding, body] of [
    ['protobuf', protobuf],
    ['json', json],
  ] as const) {
    it(`decodes every span, id, exact time and attribute from ${encoding}`, () => {
      const decoded = decodeTraces(body, encoding)
      expect(decoded.rejectedSpans).toBe(0)
      expect(decoded.rejectReasons).toEqual([])
      expect(allSpans(decoded.request)).toEqual(spans.map(expectedSpan))
      const [resourceSpans] = decoded.request.resourceSpans
      expect(resourceSpans.resource.attributes).toMatchObject({ 'service.name': 'support-agent', 'tenant.id': 'tenant-a' })
      expect(resourceSpans.scopeSpans[0].scope).toMatchObject({ name: 'agent-framework', version: '2.1.0' })
    })
  }

  it('gives the same model from both encodings of the same spans', () => {
    expect(decodeTraces(json, 'json')).toEqual(decodeTraces(protobuf, 'protobuf'))
  })

  it('keeps nanosecond times exact beyond 2^53', () => {
    const root = allSpans(decodeTraces(protobuf, 'protobuf').request).find((s) => s.name === 'invoke_agent planner')!
    expect(root.startTimeUnixNano).toBe(1_780_000_123_987_654_321n)
    expect(root.attributes['big.power']).toBe(2n ** 60n)
    expect(root.attributes['big.negative']).toBe(-9_007_199_254_740_991)
  })

  it('agrees on the benchmark fixture of generated agent tasks', () => {
    const options = { tasks: 12, spansPerRequest: 40, tenants: 3, seed: 5 }
    const fromProtobuf = agentTaskRequests(options)
    const fromJson = agentTaskJsonRequests(options)
    expect(fromProtobuf.spanCount).toBeGreaterThan(12 * 5)
    let decodedSpans = 0
    fromProtobuf.bodies.forEach((body, i) => {
      const viaProtobuf = decodeTraces(body, 'protobuf')
      expect(decodeTraces(fromJson.bodies[i], 'json')).toEqual(viaProtobuf)
      decodedSpans += allSpans(viaProtobuf.request).length
    })
    expect(decodedSpans).toBe(fromProtobuf.spanCount)
  })
})

function recordLogs(): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] })
  const logger = provider.getLogger('agent-audit', '1.0.0')
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }
  logger.emit({
    eventName: 'credential.issued',
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    timestamp: [1_780_000_200, 123_456_789],
    observedTimestamp: [1_780_000_200, 223_456_789],
    body: { credential: 'cred-9', scopes: ['s3:read'], ttl: 900 },
    attributes: { 'credential.id': 'cred-9', 'tenant.id': 'tenant-a', 'agent.step.index': 3 },
    context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
  })
  logger.emit({
    severityNumber: SeverityNumber.WARN2,
    body: 'plain text body',
    timestamp: [1_780_000_201, 5],
    attributes: { 'event.name': 'approval.bypassed' },
  })
  return exporter.getFinishedLogRecords()
}

describe('OTLP logs from the OpenTelemetry JS SDK', () => {
  const records = recordLogs()
  const protobuf = ProtobufLogsSerializer.serializeRequest(records)!
  const json = JsonLogsSerializer.serializeRequest(records)!

  for (const [encoding, body] of [
    ['protobuf', protobuf],
    ['json', json],
  ] as const) {
    it(`decodes every log record from ${encoding}`, () => {
      const decoded = decodeLogs(body, encoding)
      expect(decoded.rejectedLogRecords).toBe(0)
      const [resourceLogs] = decoded.request.resourceLogs
      expect(resourceLogs.resource.attributes['tenant.id']).toBe('tenant-a')
      expect(resourceLogs.scopeLogs[0].scope).toMatchObject({ name: 'agent-audit', version: '1.0.0' })
      const decodedRecords = resourceLogs.scopeLogs.flatMap((s) => s.logRecords)
      expect(decodedRecords).toEqual(
        records.map((r) => ({
          timeUnixNano: nanos(r.hrTime),
          observedTimeUnixNano: nanos(r.hrTimeObserved),
          severityNumber: r.severityNumber ?? 0,
          severityText: r.severityText ?? '',
          body: expectedValue(r.body),
          attributes: expectedAttributes(r.attributes),
          traceId: r.spanContext?.traceId ?? '',
          spanId: r.spanContext?.spanId ?? '',
          eventName: r.eventName ?? String(r.attributes['event.name'] ?? ''),
        })),
      )
    })
  }

  it('takes event_name from field 12, falling back to the event.name attribute', () => {
    const names = decodeLogs(protobuf, 'protobuf').request.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.eventName)
    expect(names).toEqual(['credential.issued', 'approval.bypassed'])
  })
})
