import { createServer, type IncomingMessage } from 'node:http'
import { metrics } from '@opentelemetry/api'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createPrivpath,
  createPrivpathTracerProvider,
  guard,
  PrivpathDeniedError,
  setupPrivpath,
  startTask,
  toolCall,
  tracesUrl,
} from '../src/index.js'

interface Received {
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

const received: Received[] = []
let onRequest: (() => void) | undefined
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    received.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) })
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    onRequest?.()
  })
})
const nextRequest = () => new Promise<void>((resolve) => (onRequest = resolve))
let endpoint = ''

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const contains = (body: Buffer, text: string) => body.includes(Buffer.from(text))

describe('tracesUrl', () => {
  it('appends /v1/traces to a base URL once', () => {
    expect(tracesUrl('http://h:4318')).toBe('http://h:4318/v1/traces')
    expect(tracesUrl('http://h:4318/')).toBe('http://h:4318/v1/traces')
    expect(tracesUrl('http://h:4318/v1/traces')).toBe('http://h:4318/v1/traces')
  })
})

describe('setupPrivpath', () => {
  it('exports task spans as OTLP protobuf with the API key and the tenant resource, and nothing else', async () => {
    received.length = 0
    // Where the Node SDK's own metric and log exporters would go if setupPrivpath let it start them.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint
    const exporter = await setupPrivpath({ endpoint, apiKey: 'k-123', serviceName: 'billing-agent', tenantId: 'acme' })
    startTask({ taskId: 'task-setup-1', tenantId: 'acme', agentId: 'a1' }, () =>
      toolCall('lookup', { target: { tenant: 'acme', resource: 'crm' } }, () => 'ok'),
    )
    metrics.getMeter('agent').createCounter('agent_runs').add(1)
    await exporter.flush()
    // The tool and task spans are exported as they end, each flush its own request.
    expect(received.length).toBeGreaterThan(0)
    for (const request of received) {
      expect(request.headers.authorization).toBe('Bearer k-123')
      expect(request.headers['content-type']).toBe('application/x-protobuf')
    }
    const body = Buffer.concat(received.map((request) => request.body))
    for (const text of ['billing-agent', 'tenant.id', 'acme', 'task-setup-1', 'execute_tool lookup', 'invoke_agent a1']) {
      expect(contains(body, text), text).toBe(true)
    }
    await exporter.shutdown()
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    expect(new Set(received.map((r) => r.url))).toEqual(new Set(['/v1/traces']))

    // Decisions go to the same privpath with the same key; this stub answers no decision, so the call is denied.
    received.length = 0
    await expect(guard({ tool: 'lookup', agent: { id: 'a1' } })).rejects.toThrow(PrivpathDeniedError)
    expect(received.map((r) => [r.url, r.headers.authorization])).toEqual([['/access/v1/evaluation', 'Bearer k-123']])
  })

  it('refuses a malformed endpoint before touching the network', async () => {
    await expect(setupPrivpath({ endpoint: 'not a url', serviceName: 's' })).rejects.toThrow(/endpoint/)
    await expect(createPrivpathTracerProvider({ endpoint: '', serviceName: 's' })).rejects.toThrow(/endpoint/)
  })
})

describe('createPrivpathTracerProvider', () => {
  it('exports through its own provider without an API key header', async () => {
    received.length = 0
    const exporter = await createPrivpathTracerProvider({ endpoint: `${endpoint}/`, serviceName: 'crm-agent', tenantId: 'globex' })
    const privpath = createPrivpath({ tracerProvider: exporter.tracerProvider })
    privpath.startTask({ taskId: 'task-own-provider', tenantId: 'globex', agentId: 'a2' }, () => undefined)
    await exporter.flush()
    expect(received).toHaveLength(1)
    expect(received[0].headers.authorization).toBeUndefined()
    expect(contains(received[0].body, 'crm-agent')).toBe(true)
    expect(contains(received[0].body, 'task-own-provider')).toBe(true)
    await exporter.shutdown()
  })

  it('exports a decision-relevant span as it ends, not on the batch timer', async () => {
    received.length = 0
    // Past the test's timeout: only the export on end can deliver the span in time.
    process.env.OTEL_BSP_SCHEDULE_DELAY = '600000'
    const exporter = await createPrivpathTracerProvider({ endpoint, serviceName: 'crm-agent' })
    delete process.env.OTEL_BSP_SCHEDULE_DELAY
    const privpath = createPrivpath({ tracerProvider: exporter.tracerProvider })
    const arrived = nextRequest()
    privpath.recordPrompt('look up the customer', { model: 'gpt-4o' })
    await arrived
    expect(contains(received[0].body, 'chat gpt-4o')).toBe(true)
    await exporter.shutdown()
  })
})
