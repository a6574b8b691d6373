/**
 * Runs an example agent against an in-memory exporter and ingests its real spans into an
 * in-process privpath, the way a deployed agent's OTLP exporter would: the spans are encoded with
 * the OpenTelemetry OTLP protobuf serializer and POSTed to `/v1/traces`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { context, type TracerProvider } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { TaskAttributesSpanProcessor } from '@privpath/sdk'
import type { PrivpathEvent } from '../core/event.js'
import { up } from '../cli/commands/up.js'
import { createTelemetry } from '../core/telemetry.js'

let contextManager: AsyncLocalStorageContextManager | undefined

/** `resource` is what the agent's deployment puts on its tracer provider (service name, tenant...). */
export async function captureSpans<T>(
  run: (provider: TracerProvider) => Promise<T>,
  resource: Record<string, string> = {},
): Promise<{ result: T; spans: ReadableSpan[] }> {
  if (contextManager === undefined) {
    contextManager = new AsyncLocalStorageContextManager().enable()
    context.setGlobalContextManager(contextManager)
  }
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new TaskAttributesSpanProcessor(), new SimpleSpanProcessor(exporter)],
  })
  const result = await run(provider)
  await provider.forceFlush()
  return { result, spans: exporter.getFinishedSpans() }
}

function encodeSpans(spans: ReadableSpan[]): Uint8Array {
  const body = ProtobufTraceSerializer.serializeRequest(spans)
  if (body === undefined) throw new Error('OTLP serializer produced no body')
  return body
}

interface TaskView {
  task: { task_id: string; tenant_id: string; agents: string[]; tools: string[]; event_count: number }
  events: PrivpathEvent[]
}

export interface RunningPrivpath {
  url: string
  ingest(spans: ReadableSpan[]): Promise<void>
  /** Polls `GET /api/tasks/:id` until `ready` accepts the answer (events reach the store asynchronously). */
  task(taskId: string, ready: (view: TaskView) => boolean): Promise<TaskView>
  stop(): Promise<void>
}

export async function startPrivpath(): Promise<RunningPrivpath> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privpath-example-'))
  const telemetry = createTelemetry({ level: 'warn', defaultMetrics: false })
  const app = await up({ port: '0', host: '127.0.0.1', dataDir }, { env: { PRIVPATH_GRPC_PORT: '0' }, telemetry })
  return {
    url: app.url,
    async ingest(spans) {
      const response = await fetch(`${app.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeSpans(spans),
      })
      if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${await response.text()}`)
    },
    async task(taskId, ready) {
      const deadline = Date.now() + 20_000
      let last = ''
      while (Date.now() < deadline) {
        const response = await fetch(`${app.url}/api/tasks/${encodeURIComponent(taskId)}`)
        last = `${response.status} ${await response.clone().text()}`
        if (response.status === 200) {
          const view = (await response.json()) as TaskView
          if (ready(view)) return view
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      throw new Error(`task ${taskId} not ready within 20 s; last answer: ${last.slice(0, 2000)}`)
    },
    async stop() {
      await app.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
