/**
 * Every detector member keeps the whole credential registry from the `credentials` topic, but
 * steps only the tasks of the `events` partitions it owns. A task's end must reach the members
 * that do not own it: here member A owns task T1 (a credential issued in it, then its end) and
 * member B owns task T2, which uses that credential afterwards; B raises the use after task end.
 */
import { randomUUID } from 'node:crypto'
import { Partitioners, type PartitionMetadata } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventPublisher } from '../../collector/publish/publisher.js'
import type { Alert } from '../../core/alert.js'
import { CORE_TOPICS, type CoreTopics, KafkaBus } from '../../core/bus/index.js'
import { emptyEvent, eventId, type EventKind, type PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { detectorConfig, startDetector, type RunningDetector } from '../../detector/index.js'
import { kafkaAvailability, partitionCount, startKafkaMock, testKafkaConfig, type KafkaUnderTest } from '../../testkit/kafka-mock.js'
import { waitFor } from '../../testkit/wait.js'

const availability = kafkaAvailability()
if (!availability.available) console.warn(`SKIPPED Kafka task end registry test: ${availability.reason}`)

let kafka: KafkaUnderTest | undefined
const prefix = `taskend-${randomUUID().slice(0, 8)}.`
const closers: Array<() => Promise<void>> = []

function kafkaBus(clientId: string): KafkaBus<CoreTopics> {
  const bus = new KafkaBus<CoreTopics>({ config: testKafkaConfig(kafka!, prefix, clientId), topics: CORE_TOPICS, logger: silentTelemetry().logger })
  closers.push(() => bus.close())
  return bus
}

/** A detector member that reads `credentials` like a Kafka deployment's, and the `events` partitions it owns now. */
function detectorMember(name: string): RunningDetector & { owned: () => readonly number[] } {
  const bus = kafkaBus(name)
  let owned: readonly number[] = []
  const subscribe = bus.subscribe.bind(bus)
  bus.subscribe = ((topic, options, handler) =>
    subscribe(
      topic,
      topic !== 'events'
        ? options
        : {
            ...options,
            onAssigned: async (partitions) => {
              owned = partitions
              await options.onAssigned?.(partitions)
            },
          },
      handler,
    )) as typeof bus.subscribe
  const running = startDetector({ bus, config: detectorConfig(), telemetry: silentTelemetry(), tickMs: 0, watchRules: false, consumeCredentials: true })
  closers.push(() => running.stop())
  return Object.assign(running, { owned: () => owned })
}

/** The partition the producer puts `key` in (kafkajs' default partitioner, as the bus uses). */
function partitionOf(key: string, partitions: number): number {
  const metadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata)
  return Partitioners.DefaultPartitioner()({ topic: `${prefix}events`, partitionMetadata: metadata, message: { key, value: null } })
}

/** The first of `base-0`, `base-1`, ... whose `events` partition is one of `partitions`. */
function taskIn(base: string, partitions: readonly number[], count: number): string {
  for (let i = 0; ; i++) if (partitions.includes(partitionOf(`${base}-${i}`, count))) return `${base}-${i}`
}

const T0 = Date.now() - 60_000
let seq = 0
function event(kind: EventKind, taskId: string, ts: number, fields: Partial<PrivpathEvent> = {}): PrivpathEvent {
  const spanId = `span-${++seq}`
  return { ...emptyEvent(), kind, task_id: taskId, tenant_id: 'acme', ts, observed_at: ts, source: 'privpath', trace_id: `trace-${taskId}`, span_id: spanId, event_id: eventId(`trace-${taskId}`, spanId, kind, 0), ...fields }
}

beforeAll(async () => {
  if (availability.available) kafka = await startKafkaMock()
})

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  await kafka?.stop()
})

describe.runIf(availability.available)('task_end on the credentials topic (Kafka)', () => {
  it('a member that does not own the ended task’s partition raises a use of its credential after its end', async () => {
    const source = kafkaBus('collector')
    const { logger, registry } = silentTelemetry()
    const publisher = new EventPublisher({ bus: source, logger, registry })
    const alerts: Alert[] = []
    await source.subscribe('alerts', { group: 'sink', fromBeginning: true }, async (batch) => void alerts.push(...batch.map((m) => m.value)))
    // the topic exists (and its partition count is known) before the members split it
    await publisher.publish([{ events: [event('other', 'warm-up', T0)] }])

    const a = detectorMember('member-a')
    const b = detectorMember('member-b')
    await Promise.all([a.ready, b.ready])
    const PARTITIONS = await partitionCount(kafka!, `${prefix}events`)
    await waitFor(
      () => a.owned().length > 0 && b.owned().length > 0 && a.owned().length + b.owned().length === PARTITIONS && new Set([...a.owned(), ...b.owned()]).size === PARTITIONS,
      30_000,
      'members A and B to split the events partitions',
    )
    const t1 = taskIn('task-one', a.owned(), PARTITIONS)
    const t2 = taskIn('task-two', b.owned(), PARTITIONS)
    expect(b.owned()).not.toContain(partitionOf(t1, PARTITIONS))

    // One request's worth, as an agent's task arrives: the issue and the end in one publish.
    await publisher.publish([
      {
        events: [
          event('task_start', t1, T0),
          event('credential_issued', t1, T0 + 10, { credential_id: 'cred-t1', credential_scopes: ['db:read'], credential_expires_at: T0 + 3_600_000 }),
          event('task_end', t1, T0 + 20),
        ],
      },
    ])
    // B only learns T1's end from `credentials`: without it the use below would pass unnoticed.
    await waitFor(() => b.engine()?.credential('', 'cred-t1')?.task_ended_at === T0 + 20, 20_000, 'member B to learn that the task of cred-t1 ended')

    await publisher.publish([{ events: [event('task_start', t2, T0 + 30_000), event('credential_used', t2, T0 + 30_010, { credential_id: 'cred-t1' })] }])
    const fired = () => alerts.filter((x) => x.rule_id === 'credential-used-after-task-end')
    await waitFor(() => fired().length > 0, 30_000, 'member B to raise credential-used-after-task-end').catch((error: Error) => {
      throw new Error(`${error.message}; alerts: ${JSON.stringify(alerts.map((x) => x.rule_id))}`)
    })
    expect(fired()[0]).toMatchObject({ task_id: t2 })
    expect(fired()[0].summary).toContain(`credential cred-t1 of task ${t1} used in task ${t2}`)
    expect(a.engine()?.hasTask(t2)).toBe(false)
  }, 90_000)
})
