/**
 * Test fixtures shared by the sink tests: alerts, loopback HTTP receivers that script their
 * answers, and a pino logger whose output is captured. Used only by tests.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { type Alert, alertId } from '../core/alert.js'
import type { Telemetry } from '../core/telemetry.js'

export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const rule_id = overrides.rule_id ?? 'cross_tenant_tool'
  const dedup_key = overrides.dedup_key ?? 'task-1'
  const window_start = overrides.window_start ?? 1_700_000_000_000
  return {
    alert_id: alertId(rule_id, dedup_key, window_start),
    rule_id,
    rule_title: 'Cross-tenant tool routing',
    severity: 'high',
    category: 'incident',
    tenant_id: 'acme',
    task_id: 'task-1',
    agent_id: 'agent-7',
    summary: 'Tool db.query reached tenant globex from a task of tenant acme',
    path: 'prompt → tool `db.query` → tenant `globex` with credential `cred-1`',
    dedup_key,
    event_ids: ['e1', 'e2'],
    frameworks: ['owasp_agentic:T3', 'owasp_nhi:NHI5'],
    tags: ['tenancy'],
    runbook: 'docs/runbooks/cross-tenant.md',
    count: 1,
    first_seen: window_start,
    last_seen: window_start,
    window_start,
    updated_at: window_start,
    ...overrides,
  }
}

/** The next version of an alert: seen again `afterMs` later. */
export function repeatOf(alert: Alert, afterMs = 60_000): Alert {
  return { ...alert, count: alert.count + 1, last_seen: alert.last_seen + afterMs, updated_at: alert.updated_at + afterMs }
}

export interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Answer {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Hold the answer this long (a slow receiver). */
  delayMs?: number
}

export interface Receiver {
  url: string
  received: Received[]
  close(): Promise<void>
}

/** A loopback HTTP server; `answer` decides the reply to each request (default 200 "ok"). */
export async function startReceiver(answer: (request: Received, index: number) => Answer | Promise<Answer> = () => ({ status: 200 })): Promise<Receiver> {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const request: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const index = received.push(request) - 1
      void Promise.resolve(answer(request, index)).then(async (reply) => {
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs))
        if (res.destroyed) return
        res.writeHead(reply.status, reply.headers ?? { 'content-type': 'text/plain' })
        res.end(reply.body ?? (reply.status < 300 ? 'ok' : 'error'))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Telemetry whose log lines are kept in `lines` (raw JSON text) for assertions. */
export function capturedTelemetry(): Telemetry & { lines: string[] } {
  const lines: string[] = []
  const logger = pino(
    { level: 'debug', base: { service: 'privpath' } },
    { write: (line: string) => void lines.push(line) },
  )
  return { logger, registry: new Registry(), lines }
}


export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  if (!metric) return 0
  return metric.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === undefined)
    .reduce((sum, v) => sum + v.value, 0)
}
