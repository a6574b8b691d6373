/**
 * Faults in a scaled-out deployment: collector, detector and writer+api run as three `privpath up
 * --roles ...` processes on Kafka (one chDB per process; only the writer's holds data).
 * - kill -9 of the writer and the detector mid-stream, then restart: every event the collector
 *   acknowledged is served by the api exactly once, and every expected alert exists exactly once;
 * - Kafka unresponsive (the broker process frozen): the collector answers 503 with Retry-After,
 *   then 200 again once Kafka is back, and what it acknowledged afterwards is stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CORE_TOPICS, type CoreTopics, KafkaBus } from '../../core/bus/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { protobufRequest, recordSpans, runScriptedTask } from '../../testkit/agent.js'
import { getJson, postOtlp } from '../../testkit/app.js'
import { kafkaAvailability, startKafkaMock, type KafkaUnderTest } from '../../testkit/kafka-mock.js'
import { freePort, startPrivpath, type PrivpathProcess } from '../../testkit/processes.js'
import { waitFor } from '../../testkit/wait.js'

/** The stores are read over HTTP from processes under fault: every 300 ms, not every 10. */
const pollStore = (check: () => Promise<boolean>, timeoutMs: number, what: string) => waitFor(check, timeoutMs, what, 300)

const availability = kafkaAvailability()
if (!availability.available) console.warn(`SKIPPED Kafka fault tests: ${availability.reason}`)

let kafka: KafkaUnderTest | undefined
let dir = ''
let configFile = ''
const processes: PrivpathProcess[] = []
let reference: KafkaBus<CoreTopics> | undefined
/** Event ids per task as published on the events topic (what the store must hold, once each). */
const published = new Map<string, Set<string>>()

async function start(name: string, roles: string, port: number): Promise<PrivpathProcess> {
  const started = await startPrivpath(name, ['--roles', roles, '-c', configFile, '--data-dir', join(dir, name)], port, { PRIVPATH_LOG_LEVEL: 'info' })
  processes.push(started)
  return started
}

function taskBody(taskId: string): Uint8Array {
  return protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId, tenant: 'acme', targetTenant: 'globex' })))
}

async function send(collector: PrivpathProcess, taskId: string): Promise<void> {
  for (;;) {
    const res = await postOtlp(`${collector.url}/v1/traces`, taskBody(taskId))
    if (res.status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}


beforeAll(async () => {
  if (!availability.available) return
  kafka = await startKafkaMock()
  dir = mkdtempSync(join(tmpdir(), 'privpath-kafka-fault-'))
  configFile = join(dir, 'privpath.yaml')
  writeFileSync(
    configFile,
    [
      'bus:',
      '  kind: kafka',
      '  kafka:',
      `    brokers: [${kafka.brokers.join(', ')}]`,
      '    topic_prefix: fault.',
      '    session_timeout_ms: 3000',
      '    heartbeat_interval_ms: 500',
      '    max_wait_ms: 200',
      '    publish_timeout_ms: 2000',
      'collector:',
      '  grace_window_ms: 2000',
      'store:',
      '  insert_flush_ms: 200',
    ].join('\n'),
  )
  reference = new KafkaBus<CoreTopics>({
    config: { brokers: kafka.brokers, client_id: 'reference', topic_prefix: 'fault.', ssl: false, session_timeout_ms: 3_000, heartbeat_interval_ms: 500, max_wait_ms: 200, publish_timeout_ms: 3_000 },
    topics: CORE_TOPICS,
    logger: silentTelemetry().logger,
  })
  await reference.subscribe('events', { group: 'reference', fromBeginning: true }, async (batch) => {
    for (const { value } of batch as Array<{ value: PrivpathEvent }>) {
      const ids = published.get(value.task_id) ?? new Set<string>()
      ids.add(value.event_id)
      published.set(value.task_id, ids)
    }
  })
}, 60_000)

afterAll(async () => {
  await Promise.allSettled(processes.map((p) => p.kill()))
  await reference?.close()
  await kafka?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.runIf(availability.available)('scaled-out faults (three processes on Kafka)', () => {
  it('kill -9 of writer and detector mid-stream: every acknowledged event stored once, every alert once', async () => {
    const [writerPort, detectorPort, collectorPort] = await Promise.all([freePort(), freePort(), freePort()])
    let writer = await start('writer', 'writer,api', writerPort)
    const detector = await start('detector', 'detector', detectorPort)
    const collector = await start('collector', 'collector', collectorPort)

    const tasks = Array.from({ length: 24 }, (_, i) => `fault-task-${i}`)
    for (const task of tasks.slice(0, 8)) await send(collector, task)
    // Mid-stream: the first tasks are still flowing through the writer and the detector.
    await Promise.all([writer.kill('SIGKILL'), detector.kill('SIGKILL')])
    for (const task of tasks.slice(8, 16)) await send(collector, task)
    ;[writer] = await Promise.all([start('writer', 'writer,api', writerPort), start('detector', 'detector', detectorPort)])
    for (const task of tasks.slice(16)) await send(collector, task)

    const stored = async (task: string) => {
      const res = await getJson<{ events: Array<{ event_id: string }> }>(`${writer.url}/api/tasks/${task}`)
      return res.status === 200 ? res.body.events.map((e) => e.event_id) : []
    }
    let missing: string[] = []
    await pollStore(
      async () => {
        missing = []
        for (const task of tasks) {
          const expected = published.get(task)
          const got = await stored(task)
          if (!expected || got.length < expected.size) missing.push(`${task}: ${got.length}/${expected?.size ?? 0}`)
        }
        return missing.length === 0
      },
      60_000,
      'every published event to be served by the api',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; missing ${missing.join(', ')}\n--- writer:\n${writer.output().slice(-3_000)}`)
    })
    for (const task of tasks) {
      const ids = await stored(task)
      expect(ids.length, `${task}: no event twice`).toBe(new Set(ids).size)
      expect(new Set(ids), task).toEqual(published.get(task))
    }

    const alertsOf = async (task: string) =>
      (await getJson<{ alerts: Array<{ alert_id: string; rule_id: string }> }>(`${writer.url}/api/alerts?task=${task}`)).body.alerts.filter(
        (a) => a.rule_id === 'cross-tenant-tool-routing',
      )
    await pollStore(async () => (await Promise.all(tasks.map(alertsOf))).every((a) => a.length > 0), 60_000, 'a cross-tenant alert for every task')
    for (const task of tasks) expect((await alertsOf(task)).length, `${task}: one alert`).toBe(1)
  }, 180_000)

  it.runIf(process.env.PRIVPATH_TEST_KAFKA_BROKERS === undefined)('Kafka unresponsive: the collector answers 503 with Retry-After, then recovers', async () => {
    const collector = processes.find((p) => p.name === 'collector')!
    const writer = processes.filter((p) => p.name === 'writer').at(-1)!
    kafka!.freeze()
    let refused: Response
    try {
      refused = await postOtlp(`${collector.url}/v1/traces`, taskBody('while-down'))
    } finally {
      kafka!.thaw()
    }
    expect(refused.status).toBe(503)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)

    await send(collector, 'after-recovery')
    await pollStore(
      async () => (await getJson<{ events: unknown[] }>(`${writer.url}/api/tasks/after-recovery`)).status === 200,
      60_000,
      'the task acknowledged after recovery to be stored',
    )
  }, 120_000)
})
