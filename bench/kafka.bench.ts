/**
 * End-to-end events/s from OTLP to ClickHouse (chDB) and alerts, on the in-process bus and on
 * Kafka (kcat mock cluster) measured side by side in one run. Each mode runs in its own child
 * process (chDB binds one data directory per process) with the collector, writer, detector and api
 * roles in that process, so the difference is the bus: in process vs spans → correlate → events
 * topics through Kafka.
 * Reported per mode: requests accepted/s, events stored/s (first post → last event queryable),
 * alerts stored, and for Kafka the largest writer consumer lag sampled every 250 ms.
 * The kcat mock keeps a bounded log per partition: past ~300 tasks its oldest messages are
 * dropped while the writer lags (the "kafka topics at the end" line shows fewer messages than
 * stored events), so compare modes at --tasks 300 on the mock, or point it at a real Kafka.
 * Run: npm run bench:kafka [-- --tasks 300 --concurrency 8]
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
import { Pool } from 'undici'
import { startApp } from '../server/index.js'
import { kafkaGroupId } from '../core/bus/index.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry } from '../core/telemetry.js'
import { startKafkaMock } from '../testkit/kafka-mock.js'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    mode: { type: 'string', default: 'both' },
  },
})

interface Result {
  mode: string
  events: number
  alerts: number
  alertsByRule: Record<string, number>
  acceptSeconds: number
  storeSeconds: number
  maxLag: number
}

async function runMode(mode: 'memory' | 'kafka'): Promise<Result> {
  const dataDir = await mkdtemp(join(tmpdir(), `privpath-bench-kafka-${mode}-`))
  const kafka = mode === 'kafka' ? await startKafkaMock() : undefined
  const prefix = 'bench.'
  const config = validateConfig({
    roles: ['collector', 'writer', 'detector', 'api'],
    log_level: 'warn',
    server: { port: 0, grpc_port: 0 },
    // The fixture's tasks are dated in the past: keep them past the default 30-day TTL.
    store: { data_dir: dataDir, insert_flush_ms: 200, events_ttl_days: 3_650 },
    collector: { grace_window_ms: 2_000 },
    // The fixture packs hours of task time into one burst; Kafka interleaves partitions, so with the
    // default 30 s lateness the detector would call most events late (see the report) in that mode only.
    detector: { allowed_lateness_ms: 86_400_000 },
    bus:
      mode === 'kafka'
        ? { kind: 'kafka', kafka: { brokers: kafka!.brokers, topic_prefix: prefix, session_timeout_ms: 3_000, heartbeat_interval_ms: 500, max_wait_ms: 100 } }
        : { kind: 'memory' },
  })
  const app = await startApp({ config, telemetry: silentTelemetry() })
  const { bodies } = agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: 200, tenants: 4, seed: 11 })
  const pool = new Pool(app.url, { connections: Number(args.concurrency) })
  const admin = kafka ? new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin() : undefined
  await admin?.connect()
  let maxLag = 0
  let lastLag = 0
  let sampling = true
  const sampler = (async () => {
    while (admin && sampling) {
      const topic = `${prefix}events`
      const [highs, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: kafkaGroupId('writer', 'events'), topics: [topic] }),
      ])
      const lag = highs.reduce((n, p) => {
        const done = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1)
        return n + Number(p.high) - Math.max(done, Number(p.low))
      }, 0)
      maxLag = Math.max(maxLag, lag)
      lastLag = lag
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  })()

  const started = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]
        for (;;) {
          const res = await pool.request({ method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, body })
          await res.body.dump()
          if (res.statusCode === 200) break
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      }
    }),
  )
  const acceptSeconds = (performance.now() - started) / 1000

  // Done when the stored count stops growing for 3 s (the held spans' grace window is 2 s) and,
  // on Kafka, the writer's group has committed up to the end of the events topic.
  const count = async (query: string) => Number((await (await app.store!.client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>())[0].n)
  let events = 0
  let stableSince = performance.now()
  let lastChange = performance.now()
  while (events === 0 || lastLag > 0 || performance.now() - stableSince < 3_000) {
    if (performance.now() - started > 300_000) throw new Error(`events still arriving after 300 s (${events} so far)`)
    const now = await count('SELECT uniqExact(event_id) AS n FROM privpath.events')
    if (now !== events) {
      events = now
      stableSince = performance.now()
      lastChange = stableSince
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const storeSeconds = (lastChange - started) / 1000
  const alerts = await count('SELECT uniqExact(alert_id) AS n FROM privpath.alerts')
  const byRule = await (await app.store!.client.query({ query: 'SELECT rule_id, uniqExact(alert_id) AS n FROM privpath.alerts GROUP BY rule_id ORDER BY rule_id', format: 'JSONEachRow' })).json<{ rule_id: string; n: string }>()
  sampling = false
  await sampler
  const onTopic = async (topic: string, group: string) => {
    if (!admin) return { messages: 0, lag: 0 }
    const [highs, [committed]] = await Promise.all([admin.fetchTopicOffsets(`${prefix}${topic}`), admin.fetchOffsets({ groupId: group, topics: [`${prefix}${topic}`] })])
    const messages = highs.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
    const lag = highs.reduce((n, p) => n + Number(p.high) - Math.max(Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1), Number(p.low)), 0)
    return { messages, lag }
  }
  const topics = { events: await onTopic('events', kafkaGroupId('writer', 'events')), spans: await onTopic('spans', kafkaGroupId('collector-correlate', 'spans')) }
  if (admin) console.error(`kafka topics at the end: ${JSON.stringify(topics)}`)
  await admin?.disconnect()
  await pool.close()
  await app.stop()
  await kafka?.stop()
  await rm(dataDir, { recursive: true, force: true })
  return { mode, events, alerts, alertsByRule: Object.fromEntries(byRule.map((r) => [r.rule_id, Number(r.n)])), acceptSeconds, storeSeconds, maxLag }
}

async function child(mode: string): Promise<Result> {
  const script = fileURLToPath(import.meta.url)
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, '--mode', mode, '--tasks', args.tasks!, '--concurrency', args.concurrency!], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    proc.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as Result)
      else reject(new Error(`${mode} run failed (${code}): ${out.slice(-2_000)}`))
    })
  })
}

if (args.mode === 'memory' || args.mode === 'kafka') {
  const result = await runMode(args.mode)
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
  process.exit(0)
} else {
  const results = [await child('memory'), await child('kafka')]
  console.log(`tasks=${args.tasks} concurrency=${args.concurrency} (every role in one process per mode; chDB store)`)
  console.log('mode     events  alerts  accepted req-time s  stored events/s  max writer lag (msgs)')
  for (const r of results) {
    console.log(
      `${r.mode.padEnd(8)} ${String(r.events).padStart(6)}  ${String(r.alerts).padStart(6)}  ${r.acceptSeconds.toFixed(2).padStart(19)}  ${(r.events / r.storeSeconds).toFixed(0).padStart(15)}  ${r.mode === 'kafka' ? r.maxLag : '-'}`,
    )
  }
  const [memory, kafka] = results
  console.log(`kafka / in-process stored events/s: ${(kafka.events / kafka.storeSeconds / (memory.events / memory.storeSeconds)).toFixed(2)}`)
  if (memory.events !== kafka.events || memory.alerts !== kafka.alerts) {
    console.log(`NOTE: modes differ in events (${memory.events} vs ${kafka.events}) or alerts (${memory.alerts} vs ${kafka.alerts})`)
    console.log(`alerts by rule, in-process: ${JSON.stringify(memory.alertsByRule)}`)
    console.log(`alerts by rule, kafka:      ${JSON.stringify(kafka.alertsByRule)}`)
  }
}
