/**
 * OTLP/gRPC end to end: the real OpenTelemetry gRPC exporters (traces and logs) send to a real
 * app (collector, writer, api on embedded chDB) with tenant keys; the query API and the store
 * return what they sent, correlated and stamped with the key's tenant. Errors answer with the
 * OTLP status codes.
 */
import { resourceFromAttributes } from '@opentelemetry/resources'
import { Metadata } from '@grpc/grpc-js'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../core/event.js'
import { allSucceeded, otelExporter, protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { getJson, startTestApp, type TestApp } from '../testkit/app.js'
import { rawGrpcClient } from '../testkit/grpc.js'

const KEYS = ['acme:key-acme', 'globex:key-globex', '*:key-admin']
const MAX_BODY_BYTES = 256 * 1024

let t: TestApp
let grpcUrl: string
beforeAll(async () => {
  t = await startTestApp({ auth: { tenant_keys: KEYS }, server: { max_body_bytes: MAX_BODY_BYTES } }, { ephemeralGrpcPort: true })
  grpcUrl = `http://127.0.0.1:${t.app.grpcPort}`
})
afterAll(async () => {
  await t?.app.stop()
})

interface TaskDetail {
  task: { task_id: string; tenant_id: string }
  events: PrivpathEvent[]
}

const CONTRACT_KINDS = ['task_start', 'prompt', 'tool_invocation', 'credential_issued', 'authz_decision', 'approval', 'delegation', 'credential_revoked', 'task_end']

async function completeTask(id: string, key: string): Promise<TaskDetail> {
  let last: TaskDetail | undefined
  await expect
    .poll(
      async () => {
        const res = await getJson<TaskDetail>(`${t.app.url}/api/tasks/${encodeURIComponent(id)}`, key)
        if (res.status === 200) last = res.body
        return res.status === 200 && CONTRACT_KINDS.every((kind) => res.body.events.some((e) => e.kind === kind))
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(true)
  return last!
}

/** Log records through the real OTLP/gRPC logs exporter; resolves with each export's result. */
async function exportLogs(key: string, emit: (provider: LoggerProvider) => void): Promise<ExportResult[]> {
  const metadata = new Metadata()
  metadata.set('authorization', `Bearer ${key}`)
  const inner = new OTLPLogExporter({ url: grpcUrl, metadata, compression: 'gzip' as never })
  const results: ExportResult[] = []
  const recording: LogRecordExporter = {
    export: (records, done) => inner.export(records, (result) => done((results.push(result), result))),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  }
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'grpc-agent' }),
    processors: [new SimpleLogRecordProcessor({ exporter: recording })],
  })
  emit(provider)
  await provider.forceFlush()
  await provider.shutdown()
  return results
}

describe.each([false, true])('OTel gRPC exporter → privpath (gzip: %s)', (gzip) => {
  it("stores the task's spans correlated as one task, in the key's tenant", async () => {
    const taskId = `task-grpc${gzip ? '-gzip' : ''}`
    const exporting = otelExporter(grpcUrl, { format: 'grpc', key: 'key-acme', gzip })
    // The spans claim another tenant: the key's wins, as over HTTP.
    runScriptedTask(exporting.tracer, { taskId, tenant: 'globex', credentialId: `cred-${taskId}` })
    expect(allSucceeded(await exporting.finish())).toBe(true)

    const task = await completeTask(taskId, 'key-acme')
    expect(task.task).toMatchObject({ task_id: taskId, tenant_id: 'acme' })
    for (const event of task.events) expect(event).toMatchObject({ task_id: taskId, tenant_id: 'acme' })
    const tools = task.events.filter((e) => e.kind === 'tool_invocation').map((e) => e.tool_name)
    expect(tools.sort()).toEqual(['query_db', 'revoke_token'])
    expect(task.events.find((e) => e.kind === 'credential_issued')).toMatchObject({ credential_id: `cred-${taskId}` })
    expect((await getJson(`${t.app.url}/api/tasks/${taskId}`, 'key-globex')).status).toBe(404)
  })
})

describe('logs over gRPC', () => {
  it('turns log records from the OTel gRPC logs exporter into stored events of their task, in the key tenant', async () => {
    const results = await exportLogs('key-globex', (provider) =>
      provider.getLogger('e2e').emit({
        eventName: 'credential.issued',
        body: 'issued',
        attributes: { 'credential.id': 'cred-grpc-log', 'agent.task.id': 'task-grpc-logs', 'credential.ttl_s': 60 },
      }),
    )
    expect(allSucceeded(results)).toBe(true)
    await expect
      .poll(async () => {
        const rows = await t.app.store!.client.query({
          query: "SELECT kind, credential_id, tenant_id FROM privpath.events WHERE task_id = 'task-grpc-logs'",
          format: 'JSONEachRow',
        })
        return rows.json()
      }, { timeout: 15_000, interval: 100 })
      .toEqual([{ kind: 'credential_issued', credential_id: 'cred-grpc-log', tenant_id: 'globex' }])
  })
})

describe('gRPC errors at the real server', () => {
  it('refuses a wrong or missing key with UNAUTHENTICATED, and stores nothing of it', async () => {
    for (const key of ['key-nope', undefined]) {
      const exporting = otelExporter(grpcUrl, { format: 'grpc', key })
      runScriptedTask(exporting.tracer, { taskId: 'task-grpc-refused', tenant: 'acme' })
      const results = await exporting.finish()
      expect(results.length).toBeGreaterThan(0)
      for (const result of results) {
        expect(result.code).toBe(ExportResultCode.FAILED)
        const error = result.error as { code?: number; details?: string } | undefined
        expect({ code: error?.code, details: error?.details }).toMatchObject({ code: 16, details: expect.stringMatching(/^PP_ERR_UNAUTHORIZED: /) })
      }
    }
    const logs = await exportLogs('key-nope', (provider) => provider.getLogger('e2e').emit({ body: 'refused' }))
    expect(logs.map((r) => (r.error as { code?: number } | undefined)?.code)).toEqual([16])
    await t.app.drain()
    expect((await getJson(`${t.app.url}/api/tasks/task-grpc-refused`, 'key-admin')).status).toBe(404)
  })

  it('answers an undecodable message INVALID_ARGUMENT naming what is wrong, on either service', async () => {
    const traces = rawGrpcClient(t.app.grpcPort!, 'traces')
    const logs = rawGrpcClient(t.app.grpcPort!, 'logs')
    try {
      // resource_spans (5 bytes) { scope_spans of 7 bytes }: cut short.
      expect(await traces.export(Uint8Array.from([0x0a, 0x05, 0x12, 0x07, 0x0a, 0x00, 0x00]), 'key-acme')).toMatchObject({
        code: 3,
        details: expect.stringMatching(/^PP_ERR_DECODE: .*resourceSpans\[0\]\.scopeSpans\[0\].*truncated/),
      })
      expect(await logs.export(Uint8Array.from([0x0a, 0x7f, 0x00]), 'key-acme')).toMatchObject({
        code: 3,
        details: expect.stringMatching(/^PP_ERR_DECODE: .*resourceLogs\[0\].*truncated/),
      })
    } finally {
      traces.close()
      logs.close()
    }
  })

  it('refuses a message over server.max_body_bytes with RESOURCE_EXHAUSTED, and takes one under it', async () => {
    const traces = rawGrpcClient(t.app.grpcPort!, 'traces')
    try {
      expect((await traces.export(new Uint8Array(MAX_BODY_BYTES + 1), 'key-acme')).code).toBe(8)
      const body = protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId: 'task-grpc-raw', tenant: 'acme' })))
      expect(body.length).toBeLessThan(MAX_BODY_BYTES)
      expect((await traces.export(body, 'key-acme')).code).toBe(0)
      await completeTask('task-grpc-raw', 'key-acme')
    } finally {
      traces.close()
    }
  })
})
