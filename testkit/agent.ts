/**
 * A scripted agent task emitted through the real OpenTelemetry JS SDK and OTLP exporters:
 * invoke_agent root (task id + tenant) → chat, reasoning, execute_tool with credential.issued /
 * authz.decision / approval span events, a delegated invoke_agent whose tool revokes the
 * credential, and agent.task.end on the root. SimpleSpanProcessor exports each span when it ends, so children reach the collector
 * in earlier requests than their parents.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { Metadata } from '@grpc/grpc-js'
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-node'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'

export interface Exporting {
  tracer: Tracer
  /** Flushes and returns the result of every export the SDK made. */
  finish(): Promise<ExportResult[]>
}

/** Over OTLP/HTTP (`baseUrl` the HTTP server's), or OTLP/gRPC (`baseUrl` http://host:grpcPort, the key as `authorization` metadata). */
export function otelExporter(
  baseUrl: string,
  options: { format: 'protobuf' | 'json' | 'grpc'; key?: string; service?: string; gzip?: boolean },
): Exporting {
  const compression = (options.gzip ? 'gzip' : 'none') as CompressionAlgorithm
  let inner: SpanExporter
  if (options.format === 'grpc') {
    const metadata = new Metadata()
    if (options.key) metadata.set('authorization', `Bearer ${options.key}`)
    inner = new GrpcExporter({ url: baseUrl, metadata, compression })
  } else {
    const headers: Record<string, string> = options.key ? { Authorization: `Bearer ${options.key}` } : {}
    const config = { url: `${baseUrl}/v1/traces`, headers, compression }
    inner = options.format === 'protobuf' ? new ProtoExporter(config) : new JsonExporter(config)
  }
  const results: ExportResult[] = []
  const pending: Array<Promise<void>> = []
  const recording: SpanExporter = {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      let settle!: () => void
      pending.push(new Promise<void>((resolve) => (settle = resolve)))
      inner.export(spans, (result) => {
        results.push(result)
        done(result)
        settle()
      })
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service ?? 'e2e-agent' }),
    spanProcessors: [new SimpleSpanProcessor(recording)],
  })
  return {
    tracer: provider.getTracer('privpath-e2e'),
    async finish() {
      // The span processor rejects its flush when an export failed: that failure is in `results`.
      await provider.forceFlush().catch(() => undefined)
      await Promise.all(pending)
      await provider.shutdown()
      return results
    },
  }
}

export const allSucceeded = (results: ExportResult[]) => results.length > 0 && results.every((r) => r.code === ExportResultCode.SUCCESS)

export interface ScriptedTask {
  taskId: string
  tenant: string
  /** Text placed in the chat prompt (e.g. a seeded secret). */
  prompt?: string
  credentialId?: string
  targetTenant?: string
  /** Base time (epoch ms) of the task. */
  at?: number
  /**
   * 'root': only the root span claims `tenant.id` (children must inherit it);
   * 'every-span': each span claims it, as the privpath SDK's baggage processor does. Default 'every-span'.
   */
  tenantOn?: 'root' | 'every-span'
}

/** Emits the scripted task; returns the number of spans it ended. */
export function runScriptedTask(tracer: Tracer, task: ScriptedTask): number {
  const t0 = task.at ?? Date.now() - 60_000
  const at = (ms: number) => new Date(t0 + ms)
  const credential = task.credentialId ?? `cred-${task.taskId}`
  const target = task.targetTenant ?? task.tenant
  const inherited: Record<string, string> = (task.tenantOn ?? 'every-span') === 'every-span' ? { 'tenant.id': task.tenant } : {}
  const child = (parent: Span, name: string, start: number, attributes: Record<string, string | string[]>) =>
    tracer.startSpan(name, { startTime: at(start), attributes: { ...inherited, ...attributes }, kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, parent))

  const root = tracer.startSpan('invoke_agent planner', {
    startTime: at(0),
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'planner',
      'gen_ai.agent.name': 'planner',
      'agent.task.id': task.taskId,
      'tenant.id': task.tenant,
      'enduser.id': 'alice',
    },
  })
  const chat = child(root, 'chat gpt-4o', 10, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: task.prompt ?? 'list the open orders' }] }]),
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'I need to query the orders database' }, { type: 'text', content: 'ok' }] },
    ]),
  })
  chat.end(at(20))

  const tool = child(root, 'execute_tool query_db', 30, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'query_db',
    'gen_ai.tool.call.id': 'call-1',
    'target.tenant.id': target,
    'target.resource': `db://${target}/orders`,
    'credential.id': credential,
  })
  tool.addEvent('credential.issued', { 'credential.id': credential, 'credential.type': 'oauth_token', 'credential.scopes': ['orders:read'], 'credential.ttl_s': '300' }, at(31))
  tool.addEvent('authz.decision', { 'authz.result': 'allow', 'authz.policy': 'orders-read', 'authz.action': 'read', 'authz.resource': `db://${target}/orders` }, at(32))
  tool.addEvent('approval', { 'approval.result': 'granted', 'approval.approver': 'bob', 'approval.action': 'query_db' }, at(33))
  tool.end(at(40))

  const delegate = child(root, 'invoke_agent executor', 50, {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.id': 'executor',
    'gen_ai.agent.name': 'executor',
  })
  const cleanup = child(delegate, 'execute_tool revoke_token', 60, {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'revoke_token',
    'credential.id': credential,
  })
  cleanup.addEvent('credential.revoked', { 'credential.id': credential }, at(65))
  cleanup.end(at(70))
  delegate.end(at(80))
  // The task has its own id, so it could go on in another trace: the agent says it is over.
  root.addEvent('agent.task.end', {}, at(90))
  root.end(at(90))
  return 5
}

/** Runs `emit` against an in-memory SDK and returns the ended spans, for hand-built requests. */
export function recordSpans(emit: (tracer: Tracer) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter()
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'e2e-agent' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  })
  emit(provider.getTracer('privpath-e2e'))
  return memory.getFinishedSpans()
}

export function protobufRequest(spans: ReadableSpan[]): Uint8Array {
  return ProtobufTraceSerializer.serializeRequest(spans as never)!
}
