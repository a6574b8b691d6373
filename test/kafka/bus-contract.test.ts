/**
 * The Bus contract, run against Kafka (kcat mock cluster, or PRIVPATH_TEST_KAFKA_BROKERS) and,
 * where the in-process bus makes the same promise, against it too.
 */
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Bus, type BusMessage, CORE_TOPICS, type CoreTopics, KafkaBus, type KafkaBusOptions, MemoryBus } from '../../core/bus/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { capturedTelemetry } from '../../testkit/delivery.js'
import { kafkaAvailability, startKafkaMock, testKafkaConfig, type KafkaUnderTest } from '../../testkit/kafka-mock.js'
import { waitFor } from '../../testkit/wait.js'

const availability = kafkaAvailability()
if (!availability.available) console.warn(`SKIPPED Kafka bus contract: ${availability.reason}`)

function event(task: string, seq: number): PrivpathEvent {
  return { event_id: `${task}-${seq}`, task_id: task, seq } as unknown as PrivpathEvent
}

function messages(task: string, n: number, from = 0): BusMessage<PrivpathEvent>[] {
  return Array.from({ length: n }, (_, i) => ({ key: task, value: event(task, from + i) }))
}


let kafka: KafkaUnderTest | undefined
const buses: Array<Bus<CoreTopics>> = []

function kafkaBus(prefix: string, overrides: Partial<Pick<KafkaBusOptions<CoreTopics>, 'logger' | 'retry'>> = {}): Bus<CoreTopics> {
  const bus = new KafkaBus<CoreTopics>({
    topics: CORE_TOPICS,
    config: testKafkaConfig(kafka!, prefix, 'contract'),
    logger: silentTelemetry().logger,
    retry: { baseMs: 100, maxMs: 100 },
    ...overrides,
  })
  buses.push(bus)
  return bus
}

function memoryBus(): Bus<CoreTopics> {
  const bus = new MemoryBus<CoreTopics>({ retry: { baseMs: 20, maxMs: 20 } })
  buses.push(bus)
  return bus
}

beforeAll(async () => {
  if (availability.available) kafka = await startKafkaMock()
})

afterEach(() => void vi.restoreAllMocks())

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()))
  await kafka?.stop()
})

const kinds = [
  { name: 'kafka', make: () => kafkaBus(`t${randomUUID().slice(0, 8)}.`), enabled: availability.available },
  { name: 'memory', make: memoryBus, enabled: true },
] as const

describe.each(kinds)('bus contract ($name)', ({ make, enabled }) => {
  it.runIf(enabled)('delivers every published message to every group, in order per key', async () => {
    const bus = make()
    const seen: Record<string, Array<{ key: string; seq: number }>> = { writer: [], detector: [] }
    for (const group of ['writer', 'detector']) {
      await bus.subscribe('events', { group, fromBeginning: true }, async (batch) => {
        for (const m of batch) seen[group].push({ key: m.key, seq: m.value.seq })
      })
    }
    await bus.publish('events', [...messages('task-a', 20), ...messages('task-b', 20)])
    await waitFor(() => seen.writer.length === 40 && seen.detector.length === 40, 20_000)
    for (const group of ['writer', 'detector']) {
      for (const key of ['task-a', 'task-b']) {
        expect(seen[group].filter((m) => m.key === key).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i))
      }
    }
  })

  it.runIf(enabled)('hands a failed batch again until the handler resolves', async () => {
    const bus = make()
    let failures = 0
    const handled: number[] = []
    await bus.subscribe('events', { group: 'flaky', fromBeginning: true }, async (batch) => {
      if (failures < 2) {
        failures++
        throw new Error('insert failed')
      }
      handled.push(...batch.map((m) => m.value.seq))
    })
    await bus.publish('events', messages('task-r', 5))
    await waitFor(() => handled.length >= 5, 20_000)
    expect(failures).toBe(2)
    expect([...new Set(handled)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4])
  })

  it.runIf(enabled)('reports assigned partitions before handing batches over', async () => {
    const bus = make()
    const assigned: number[][] = []
    const contexts: number[][] = []
    await bus.subscribe(
      'events',
      { group: 'assign', fromBeginning: true, onAssigned: (partitions) => void assigned.push([...partitions]) },
      async (_batch, context) => {
        expect(assigned.length).toBeGreaterThan(0)
        contexts.push([...context.partitions])
      },
    )
    await bus.publish('events', messages('task-p', 3))
    await waitFor(() => contexts.length > 0, 20_000)
    expect(contexts[0]).toEqual(assigned[assigned.length - 1])
  })
})

describe.runIf(availability.available)('kafka bus', () => {
  it('commits only handled batches: a new member of the group resumes after the last resolved batch', async () => {
    const prefix = `c${randomUUID().slice(0, 8)}.`
    const first = kafkaBus(prefix)
    const handled: number[] = []
    let block = false
    let refused!: () => void
    const refusedOnce = new Promise<void>((resolve) => (refused = resolve))
    const sub = await first.subscribe('events', { group: 'resume', fromBeginning: true }, async (batch) => {
      if (block) {
        refused()
        throw new Error('stop here')
      }
      handled.push(...batch.map((m) => m.value.seq))
    })
    await first.publish('events', messages('task-c', 10))
    await waitFor(() => handled.length === 10, 20_000)
    block = true
    await first.publish('events', messages('task-c', 5, 10))
    // The first member was handed the new batch and failed it: that batch must stay uncommitted.
    await refusedOnce
    await sub.close()

    const second = kafkaBus(prefix)
    const resumed: number[] = []
    await second.subscribe('events', { group: 'resume', fromBeginning: true }, async (batch) => {
      resumed.push(...batch.map((m) => m.value.seq))
    })
    await waitFor(() => resumed.length >= 5, 20_000)
    expect(resumed.sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14])
  })

  it('caughtUp resolves once the group has handled what existed at subscribe time', async () => {
    const bus = kafkaBus(`u${randomUUID().slice(0, 8)}.`)
    await bus.publish('credentials', messages('cred', 30))
    let handled = 0
    const sub = await bus.subscribe('credentials', { group: `registry-${randomUUID()}`, fromBeginning: true }, async (batch) => {
      // A slow handler is the point: caughtUp must wait for handling, not merely for fetching.
      await new Promise((resolve) => setTimeout(resolve, 20))
      handled += batch.length
    })
    await sub.caughtUp
    expect(handled).toBe(30)
  })

  it('pipelines batches of one partition but commits them in order', async () => {
    const prefix = `p${randomUUID().slice(0, 8)}.`
    const bus = kafkaBus(prefix)
    const releases: Array<() => void> = []
    const seen: number[] = []
    await bus.subscribe('events', { group: 'pipe', fromBeginning: true, maxBatch: 1, maxInflightBatches: 4 }, async (batch) => {
      seen.push(batch[0].value.seq)
      // The first batch waits until later ones were handed over: only pipelining lets that happen.
      if (batch[0].value.seq === 0) await new Promise<void>((resolve) => releases.push(resolve))
    })
    await bus.publish('events', messages('task-q', 3))
    await waitFor(() => seen.includes(2), 20_000)
    const admin = new Kafka({ brokers: kafka!.brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    const committed = async () => {
      const [topic] = await admin.fetchOffsets({ groupId: 'pipe.events', topics: [`${prefix}events`] })
      return Math.max(...topic.partitions.map((p) => Number(p.offset)))
    }
    try {
      // Batches 1 and 2 are handled while 0 is held. A commit of them would be a broker-side
      // write no event here reports, so "none happened" can only be observed over a window.
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(await committed()).toBe(-1)
      releases.forEach((r) => r())
      await expect.poll(committed, { timeout: 10_000, interval: 100 }).toBe(3)
    } finally {
      await admin.disconnect()
    }
  })

  it('waits between handler attempts as its retry option says, until the subscription closes', async () => {
    // Every wait near its ceiling; below 1, kafkajs's own draws (broker shuffle, its backoff) stay valid.
    vi.spyOn(Math, 'random').mockReturnValue(0.99)
    const { logger, lines } = capturedTelemetry()
    const bus = kafkaBus(`r${randomUUID().slice(0, 8)}.`, { logger, retry: { baseMs: 3_600_000, maxMs: 3_600_000 } })
    let calls = 0
    const sub = await bus.subscribe('events', { group: 'stuck', fromBeginning: true }, async () => {
      calls++
      throw new Error('store down')
    })
    await bus.publish('events', messages('task-s', 1))
    const retries = () => lines.map((line) => JSON.parse(line) as { msg: string }).filter((entry) => entry.msg === 'bus handler failed; redelivering')
    await waitFor(() => retries().length > 0, 20_000)
    expect(retries()).toMatchObject([{ attempt: 1, delayMs: 3_564_000 }])
    // Would wait out the hour if closing did not end the wait.
    await sub.close()
    expect(calls).toBe(1)
  })

  it('publish fails fast with PP_ERR_UNAVAILABLE when no broker answers', async () => {
    const bus = new KafkaBus<CoreTopics>({
    topics: CORE_TOPICS,
      config: { brokers: ['127.0.0.1:1'], client_id: 'x', topic_prefix: 'x.', ssl: false, session_timeout_ms: 3_000, heartbeat_interval_ms: 500, max_wait_ms: 200, publish_timeout_ms: 3_000 },
      logger: silentTelemetry().logger,
      publishTimeoutMs: 3_000,
    })
    buses.push(bus)
    await expect(bus.publish('events', messages('t', 1))).rejects.toMatchObject({ code: 'PP_ERR_UNAVAILABLE' })
  })
})
