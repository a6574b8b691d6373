/**
 * The scaled-out flow against real images (`npm run test:containers`): Kafka (KRaft, single node)
 * and a ClickHouse server. privpath runs as two apps — collector+detector and writer+api — on
 * Kafka, storing into the server: a scripted cross-tenant task is stored once and raises its alert.
 * Without a Docker engine (or where testcontainers cannot load at all)
 * the suite is skipped with a message saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StartedTestContainer } from 'testcontainers'
import { protobufRequest, recordSpans, runScriptedTask } from '../../testkit/agent.js'
import { getJson, postOtlp, startTestApp, type TestApp } from '../../testkit/app.js'
import { freePort } from '../../testkit/processes.js'

type Testcontainers = typeof import('testcontainers')

async function loadTestcontainers(): Promise<{ tc?: Testcontainers; reason: string }> {
  let tc: Testcontainers
  try {
    tc = await import('testcontainers')
  } catch (error) {
    return { reason: `testcontainers cannot load on Node ${process.versions.node} (${(error as Error).message})` }
  }
  try {
    await tc.getContainerRuntimeClient()
    return { tc, reason: '' }
  } catch (error) {
    return { reason: `no Docker engine answers (${(error as Error).message.split('\n')[0]})` }
  }
}

const { tc, reason: skipReason } = await loadTestcontainers()
if (skipReason) console.warn(`SKIPPED containers suite: ${skipReason}`)

const containers: StartedTestContainer[] = []
const apps: TestApp[] = []
let brokers = ''
let clickhouseUrl = ''

beforeAll(async () => {
  if (skipReason) return
  const kafkaPort = await freePort()
  const kafka = await new tc!.GenericContainer('apache/kafka:3.9.1')
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_NUM_PARTITIONS: '4',
    })
    .withWaitStrategy(tc!.Wait.forLogMessage(/Kafka Server started/))
    .start()
  containers.push(kafka)
  brokers = `127.0.0.1:${kafkaPort}`
  const clickhouse = await new tc!.GenericContainer('clickhouse/clickhouse-server:25.8')
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_USER: 'privpath', CLICKHOUSE_PASSWORD: 'privpath', CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: '1' })
    .withWaitStrategy(tc!.Wait.forHttp('/ping', 8123))
    .start()
  containers.push(clickhouse)
  clickhouseUrl = `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`
}, 300_000)

afterAll(async () => {
  for (const t of apps.reverse()) await t.app.stop().catch(() => undefined)
  await Promise.allSettled(containers.map((c) => c.stop()))
})

describe.skipIf(skipReason !== '')('scale-out on Kafka and ClickHouse server (containers)', () => {
  it('stores a task once and raises its alert, roles split over two apps', async () => {
    const shared = {
      bus: { kind: 'kafka', kafka: { brokers: [brokers], topic_prefix: 'ct.' } },
      store: { clickhouse_url: clickhouseUrl, username: 'privpath', password: 'privpath' },
    }
    const back = await startTestApp({ ...shared, roles: ['writer', 'api'], store: { ...shared.store } })
    apps.push(back)
    const front = await startTestApp({ ...shared, roles: ['collector', 'detector'], store: { ...shared.store } })
    apps.push(front)
    const body = protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId: 'ct-task', tenant: 'acme', targetTenant: 'globex' })))
    expect((await postOtlp(`${front.app.url}/v1/traces`, body)).status).toBe(200)
    await expect
      .poll(async () => (await getJson<{ alerts: Array<{ rule_id: string }> }>(`${back.app.url}/api/alerts?task=ct-task`)).body.alerts?.map((a) => a.rule_id) ?? [], {
        timeout: 60_000,
        interval: 500,
      })
      .toContain('cross-tenant-tool-routing')
    const task = await getJson<{ events: Array<{ event_id: string }> }>(`${back.app.url}/api/tasks/ct-task`)
    const ids = task.body.events.map((e) => e.event_id)
    expect(ids.length).toBeGreaterThan(0)
    expect(new Set(ids).size).toBe(ids.length)
  }, 120_000)
})
