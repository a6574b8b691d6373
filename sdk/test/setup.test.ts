import { createServer, type IncomingMessage } from 'node:http'
import { metrics } from '@opentelemetry/api'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrivpath, createPrivpathTracerProvider, setupPrivpath, startTask, toolCall, tracesUrl } from '../src/index.js'

interface Received {
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

const received: Received[] = []
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    received.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) })
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
  })
})
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
    expect(received).toHaveLength(1)
    const [request] = received
    expect(request.url).toBe('/v1/traces')
    expect(request.headers.authorization).toBe('Bearer k-123')
    expect(request.headers['content-type']).toBe('application/x-protobuf')
    for (const text of ['billing-agent', 'tenant.id', 'acme', 'task-setup-1', 'execute_tool lookup', 'invoke_agent a1']) {
      expect(contains(request.body, text), text).toBe(true)
    }
    await exporter.shutdown()
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    expect(received.map((r) => r.url)).toEqual(['/v1/traces'])
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
})
