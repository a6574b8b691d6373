/** The composed process without a store: OTLP logs through the collector, and the exposed-listener warning. */
import { Writable } from 'node:stream'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { startApp } from '../server/index.js'
import { validateConfig } from '../core/config/load.js'
import type { PrivpathEvent } from '../core/event.js'

async function collectorOnly(settings: Record<string, unknown>) {
  const lines: string[] = []
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) })
  const telemetry = { logger: pino({ level: 'info' }, sink), registry: new Registry() }
  const dataDir = await mkdtemp(join(tmpdir(), 'privpath-app-'))
  const app = await startApp({
    config: validateConfig({ roles: ['collector'], ...settings, server: { port: 0, grpc_port: 0, ...(settings.server as object) }, store: { data_dir: dataDir } }),
    telemetry,
  })
  return { app, lines }
}

describe('privpath up composition', () => {
  it('warns loudly when listening beyond loopback without tenant keys, and not with keys', async () => {
    const open = await collectorOnly({ server: { host: '0.0.0.0' } })
    await open.app.stop()
    expect(open.lines.some((l) => l.includes('"level":40') && l.includes('WITHOUT tenant keys'))).toBe(true)
    const keyed = await collectorOnly({ server: { host: '0.0.0.0' }, auth: { tenant_keys: ['acme:k'] } })
    await keyed.app.stop()
    expect(keyed.lines.some((l) => l.includes('WITHOUT tenant keys'))).toBe(false)
  })

  it('turns OTLP log records from the OTel logs SDK into events on the bus', async () => {
    const { app } = await collectorOnly({})
    const events: PrivpathEvent[] = []
    await app.bus.subscribe('events', { group: 'test' }, async (messages) => void events.push(...messages.map((m) => m.value)))
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'agent', 'tenant.id': 'acme' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${app.url}/v1/logs` }) })],
    })
    provider.getLogger('e2e').emit({
      eventName: 'credential.issued',
      body: 'issued',
      attributes: { 'credential.id': 'cred-log-1', 'agent.task.id': 'task-logs', 'credential.ttl_s': 60 },
    })
    await provider.forceFlush()
    await provider.shutdown()
    await expect.poll(() => events.map((e) => `${e.kind}:${e.credential_id}:${e.task_id}:${e.tenant_id}`), { timeout: 10_000 }).toContain(
      'credential_issued:cred-log-1:task-logs:acme',
    )
    const metrics = await app.server.inject('/metrics')
    expect(metrics.body).toMatch(/privpath_collector_items_received_total\{signal="logs"\} 1/)
    await app.stop()
  })
})
