/**
 * A detector that takes over partitions (Kafka, no store) rebuilds their tasks by replaying the
 * events topic: member A sees a credential issued in task T, stops; member B gets T's partition
 * and still catches the credential's reuse in another task and its non-revocation at T's end.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../../core/alert.js'
import { CORE_TOPICS, type CoreTopics, KafkaBus } from '../../core/bus/index.js'
import { emptyEvent, eventId, type EventKind, type PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { detectorConfig, startDetector, type RunningDetector } from '../../detector/index.js'
import { kafkaAvailability, partitionCount, startKafkaMock, testKafkaConfig, type KafkaUnderTest } from '../../testkit/kafka-mock.js'
import { waitFor } from '../../testkit/wait.js'

const availability = kafkaAvailability()
if (!availability.available) console.warn(`SKIPPED Kafka rebalance rebuild test: ${availability.reason}`)

let kafka: KafkaUnderTest | undefined
const prefix = `rebuild-${randomUUID().slice(0, 8)}.`
const closers: Array<() => Promise<void>> = []

function kafkaBus(clientId: string): KafkaBus<CoreTopics> {
  const bus = new KafkaBus<CoreTopics>({ config: testKafkaConfig(kafka!, prefix, clientId), topics: CORE_TOPICS, logger: silentTelemetry().logger })
  closers.push(() => bus.close())
  return bus
}

/** A detector member, and the partitions it rebuilt (every partition it gained, over all its rebalances). */
function detectorMember(name: string): RunningDetector & { rebuilt: Set<number> } {
  const bus = kafkaBus(name)
  const rebuilt = new Set<number>()
  const running = startDetector({
    bus,
    config: detectorConfig(),
    telemetry: silentTelemetry(),
    tickMs: 0,
    watchRules: false,
    replayPartitions: async function* (partitions) {
      // the whole retained partition: the kcat mock answers every ListOffsets-by-time with the end
      yield* await bus.replay('events', 'detector', partitions, undefined)
      for (const partition of partitions) rebuilt.add(partition)
    },
  })
  closers.push(() => running.stop())
  return Object.assign(running, { rebuilt })
}

let seq = 0
function event(kind: EventKind, taskId: string, fields: Partial<PrivpathEvent> = {}): PrivpathEvent {
  const spanId = `span-${++seq}`
  return { ...emptyEvent(), kind, task_id: taskId, tenant_id: 'acme', ts: Date.now(), observed_at: Date.now(), source: 'privpath', trace_id: `trace-${taskId}`, span_id: spanId, event_id: eventId(`trace-${taskId}`, spanId, kind, 0), ...fields }
}


beforeAll(async () => {
  if (availability.available) kafka = await startKafkaMock()
})

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  await kafka?.stop()
})

describe.runIf(availability.available)('detector rebalance rebuild (Kafka, no store)', () => {
  it('a member that takes over a partition keeps detecting with the earlier events of its tasks', async () => {
    const source = kafkaBus('source')
    const alerts: Alert[] = []
    await source.subscribe('alerts', { group: 'sink', fromBeginning: true }, async (batch) => void alerts.push(...batch.map((m) => m.value)))
    const publish = (events: PrivpathEvent[]) => source.publish('events', events.map((e) => ({ key: e.task_id, value: e })))

    const a = detectorMember('member-a')
    await a.ready
    await publish([
      event('task_start', 'task-t'),
      event('credential_issued', 'task-t', { credential_id: 'cred-1', credential_scopes: ['db:read'] }),
      event('task_start', 'task-u'),
    ])
    await waitFor(() => a.engine()?.hasTask('task-t') === true && a.engine()?.hasTask('task-u') === true, 20_000, 'member A to handle the first events')
    await a.stop() // commits what it handled and leaves the group

    const b = detectorMember('member-b')
    await b.ready
    expect(b.engine()?.hasTask('task-t')).toBe(false)
    // B may first share the group with A's lingering membership and gain T's partition only in a
    // later rebalance; what it then steps on partitions it already had would miss T's credential.
    const partitions = await partitionCount(kafka!, `${prefix}events`)
    await waitFor(() => b.rebuilt.size === partitions, 20_000, `member B to own and rebuild all ${partitions} partitions`)
    await publish([event('credential_used', 'task-u', { credential_id: 'cred-1' }), event('task_end', 'task-t')])

    const fired = (rule: string) => alerts.filter((x) => x.rule_id === rule)
    await waitFor(
      () => fired('credential-reused-beyond-task').length > 0 && fired('credential-not-revoked-at-task-end').length > 0,
      30_000,
      'member B to raise the reuse and the non-revocation alerts',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; alerts: ${JSON.stringify(alerts.map((x) => x.rule_id))}`)
    })
    expect(fired('credential-reused-beyond-task')[0].summary).toContain('bound to task task-t')
    expect(fired('credential-not-revoked-at-task-end')[0].summary).toContain('issued in task task-t')
  }, 60_000)
})
