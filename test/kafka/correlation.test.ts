/**
 * Correlation across collector instances: two collectors behind a (simulated) load balancer each
 * receive half of every task's spans — the child on one, its parent on the other, in both
 * orders — and the correlate consumer group still places every span in its parent's task.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKafkaCollector, type KafkaCollector } from '../../collector/index.js'
import { createAuthenticator } from '../../core/auth.js'
import { CORE_TOPICS, type CoreTopics, KafkaBus } from '../../core/bus/index.js'
import { loadConfig } from '../../core/config/load.js'
import type { PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { SERVER_TOPICS, type ServerTopics } from '../../server/topics.js'
import { kafkaAvailability, startKafkaMock, type KafkaUnderTest } from '../../testkit/kafka-mock.js'

const availability = kafkaAvailability()
if (!availability.available) console.warn(`SKIPPED Kafka correlation: ${availability.reason}`)

const T0 = Date.now()
let kafka: KafkaUnderTest | undefined
const prefix = `corr${randomUUID().slice(0, 6)}.`
const stops: Array<() => Promise<void>> = []

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0')
}

function otlpSpan(traceId: string, spanId: string, parentSpanId: string, attributes: Record<string, string>, name: string) {
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: 1,
    startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
    endTimeUnixNano: String(BigInt(T0 + 10) * 1_000_000n),
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
    status: {},
  }
}

function body(spans: unknown[]) {
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'agent' }, spans }] }] })
}

async function startInstance(): Promise<{ server: FastifyInstance; collector: KafkaCollector }> {
  const config = loadConfig({
    env: {},
    overrides: [
      { path: ['bus', 'kind'], value: 'kafka' },
      { path: ['bus', 'kafka', 'brokers'], value: kafka!.brokers },
      { path: ['bus', 'kafka', 'topic_prefix'], value: prefix },
      { path: ['collector', 'grace_window_ms'], value: 20_000 },
    ],
  })
  const telemetry = { ...silentTelemetry(), registry: new Registry() }
  const bus = new KafkaBus<ServerTopics>({
    config: { ...config.bus.kafka, session_timeout_ms: 3_000, heartbeat_interval_ms: 500, max_wait_ms: 100, publish_timeout_ms: 3_000 },
    topics: SERVER_TOPICS,
    logger: telemetry.logger,
    registry: telemetry.registry,
  })
  const collector = await startKafkaCollector({ config, bus, auth: createAuthenticator(config.auth), telemetry })
  const server = Fastify()
  await server.register(collector.plugin)
  stops.push(async () => {
    await server.close()
    await collector.stop()
    await bus.close()
  })
  return { server, collector }
}

beforeAll(async () => {
  if (availability.available) kafka = await startKafkaMock()
})

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined)
  await kafka?.stop()
})

describe.runIf(availability.available)('correlation across collector instances', () => {
  it('places a child received by one collector under the parent received by the other', async () => {
    const events = new KafkaBus<CoreTopics>({
      config: { brokers: kafka!.brokers, client_id: 'sink', topic_prefix: prefix, ssl: false, session_timeout_ms: 3_000, heartbeat_interval_ms: 500, max_wait_ms: 100, publish_timeout_ms: 3_000 },
      topics: CORE_TOPICS,
      logger: silentTelemetry().logger,
    })
    stops.push(() => events.close())
    const seen: PrivpathEvent[] = []
    await events.subscribe('events', { group: 'sink', fromBeginning: true }, async (batch) => void seen.push(...batch.map((m) => m.value)))
    const [a, b] = await Promise.all([startInstance(), startInstance()])

    const tasks = 8
    const sends: Array<Promise<{ statusCode: number }>> = []
    for (let i = 0; i < tasks; i++) {
      const traceId = hex(0xabc000 + i, 32)
      const parent = otlpSpan(traceId, hex(1000 + i, 16), '', { 'agent.task.id': `task-${i}`, 'gen_ai.agent.name': 'planner' }, 'invoke_agent planner')
      const child = otlpSpan(traceId, hex(2000 + i, 16), hex(1000 + i, 16), { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' }, 'execute_tool search')
      // Even tasks: child first on collector A, parent later on B; odd tasks the other way round.
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a]
      const inject = (server: FastifyInstance, span: unknown) =>
        server.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: body([span]) })
      // The child is accepted (durable, handed to its collector's pipeline) before its parent is sent.
      const childSent = inject(first.server, child)
      sends.push(childSent)
      await childSent
      sends.push(inject(second.server, parent))
    }
    const responses = await Promise.all(sends)
    expect(responses.map((r) => r.statusCode)).toEqual(Array(tasks * 2).fill(200))

    const deadline = Date.now() + 30_000
    const childEvents = () => seen.filter((e) => e.span_id.startsWith('00000000000007'))
    while (Date.now() < deadline && new Set(childEvents().map((e) => e.span_id)).size < tasks) await new Promise((r) => setTimeout(r, 100))
    const taskOfChild = new Map(childEvents().map((e) => [e.span_id, e.task_id]))
    for (let i = 0; i < tasks; i++) {
      const child = seen.find((e) => e.span_id === hex(2000 + i, 16))
      expect(child, `child of task ${i}`).toBeDefined()
      expect(child!.task_id).toBe(`task-${i}`)
      expect(child!.flags).not.toContain('orphan')
    }
    expect(taskOfChild.size).toBe(tasks)
    // Both instances took part: each one's spans went through Kafka, whichever correlated them.
    expect(a.collector.publisher.depth()).toBe(0)
    expect(b.collector.publisher.depth()).toBe(0)
  })
})
