/**
 * Detector throughput and alert latency.
 *
 * 1. engine   - the built-in rule pack (rules/) through the engine (kind index, compiled JSONata,
 *               synchronous evaluation), over a synthetic multi-tenant stream (testkit/fixtures/
 *               privilege-stream.ts: thousands of concurrent tasks, injected anomalies).
 * 2. naive    - the same rules, same state updates, but every rule's JSONata (`when` and step
 *               conditions, plus summary on a match) evaluated with the jsonata interpreter on
 *               every event, no kind index; run on the first --naive-events events of the stream.
 * 3. embedded - latency from "event accepted" (published on the in-process bus, as the collector
 *               does once it is durable in its WAL) to "alert stored" (the detector's publish on
 *               `alerts` resolved, which the in-process bus does once the writer inserted it into
 *               chDB), in the all-in-one: in-process bus + writer (events and alerts on connections of
 *               their own, as `privpath up` does) + chDB + detector, events paced
 *               at each of --rates events/s for about --seconds (a stream with an anomaly every
 *               4th task, so there are enough alerts for a p99), writer flush --flush-ms. Absence
 *               alerts are left out (they fire on a later event or the clock, not on the event
 *               that was accepted).
 * The engine and the naive loop both evaluate synchronously where they can (`stepBatch`).
 * Run: npm run bench:detector [-- --tasks 6000 --naive-events 20000 --rates 1000,5000,10000 --seconds 15 --flush-ms 200 --no-embedded]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Alert } from '../core/alert.js'
import { type Bus, type CoreTopics, MemoryBus } from '../core/bus/index.js'
import type { PrivpathEvent } from '../core/event.js'
import { createStoreClient } from '../core/store/client.js'
import { migrate } from '../core/store/migrate.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry } from '../core/telemetry.js'
import { detectorConfig } from '../detector/config.js'
import { isPromise } from '../detector/engine/drive.js'
import { DetectorEngine } from '../detector/engine/engine.js'
import { boolize, type Expression, parseExpression } from '../core/expression/index.js'
import { builtinRulesDir, loadRules } from '../detector/rules/load.js'
import type { Rule } from '../detector/rules/types.js'
import { startDetector } from '../detector/service.js'
import { CredentialRegistry } from '../detector/state/registry.js'
import { TaskStore } from '../detector/state/tasks.js'
import { startWriter } from '../writer/index.js'
import { privilegeStream } from '../testkit/fixtures/privilege-stream.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '6000' },
    'naive-events': { type: 'string', default: '20000' },
    rates: { type: 'string', default: '1000,5000,10000' },
    seconds: { type: 'string', default: '15' },
    // the writer's default (`store.insert_flush_ms`), as `privpath up` runs it
    'flush-ms': { type: 'string', default: String(validateConfig({}).store.insert_flush_ms) },
    'no-embedded': { type: 'boolean', default: false },
  },
})

const config = detectorConfig()
const pack = await loadRules(builtinRulesDir(), { timeoutMs: config.rule_timeout_ms })
if (pack.errors.length > 0) throw new Error(`rule pack invalid: ${pack.errors.map((e) => e.message).join('; ')}`)
const { events, anomalies } = privilegeStream({ tasks: Number(args.tasks), tenants: 20, startEveryMs: 10, anomalyEvery: 50, seed: 1 })
const span = (events.at(-1)!.ts - events[0].ts) / 1000
console.log(`stream: ${events.length} events, ${args.tasks} tasks over ${span.toFixed(0)} s of event time (~${Math.round(70_000 / 10)} concurrent), rules: ${pack.rules.length}`)
console.log(`injected anomalies: ${JSON.stringify(anomalies)}`)

/** Events per second of wall time and per second of this process's CPU time (less sensitive to a busy machine). */
interface Rate {
  rate: number
  cpuRate: number
}

function rates(count: number, started: number, cpu: NodeJS.CpuUsage): Rate {
  const used = process.cpuUsage(cpu)
  return { rate: count / ((performance.now() - started) / 1000), cpuRate: count / ((used.user + used.system) / 1e6) }
}

async function engineRun(): Promise<Rate & { alerts: Map<string, Alert> }> {
  const engine = new DetectorEngine({ rules: pack.rules, config, telemetry: silentTelemetry() })
  const alerts = new Map<string, Alert>()
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < events.length; i += 1_000) {
    const out = engine.stepBatch(events.slice(i, i + 1_000))
    for (const a of isPromise(out) ? await out : out) alerts.set(a.alert_id, a)
  }
  for (const a of await engine.advance(engine.watermark)) alerts.set(a.alert_id, a)
  return { ...rates(events.length, started, cpu), alerts }
}

function interpretedOnly(rule: Rule): { rule: Rule; conditions: Expression[]; summary: Expression } {
  const c = rule.correlation
  const steps = c.type === 'sequence' ? c.steps : c.type === 'absence' ? [c.after, c.expect] : []
  const conditions = [rule.when, ...steps.map((s) => s.when)].filter((e): e is Expression => e !== undefined)
  return {
    rule,
    conditions: conditions.map((e) => parseExpression(e.source, { compile: false })),
    summary: parseExpression(rule.summary.source, { compile: false }),
  }
}

async function naiveRun(sample: PrivpathEvent[]): Promise<Rate & { matches: number }> {
  const rules = pack.rules.map(interpretedOnly)
  const tasks = new TaskStore({ retentionMs: config.task_retention_ms, inactivityMs: config.task_inactivity_ms, max: config.max_tasks, untrustedOutputTools: config.untrusted_output_tools })
  const registry = new CredentialRegistry({ graceMs: config.credential_grace_ms, max: config.max_credentials })
  let matches = 0
  let now = Number.NEGATIVE_INFINITY
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (const event of sample) {
    now = Math.max(now, event.ts)
    const task = tasks.peek(event)
    const ctx = { event, task, credential: registry.get(event.credential_id), now, config }
    const vars = { prev: event, after: event, steps: [event], count: 1 }
    for (const { rule, conditions, summary } of rules) {
      let all = true
      for (const condition of conditions) {
        try {
          all = boolize(await condition.interpret(ctx, vars)) && all
        } catch {
          all = false
        }
      }
      if (all && rule.on.includes(event.kind)) {
        matches++
        await summary.interpret(ctx, vars).catch(() => '')
      }
    }
    tasks.apply(event, now, task)
    registry.apply(event)
  }
  return { ...rates(sample.length, started, cpu), matches }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

interface Latency {
  p50: number
  p99: number
  /** accepted → the detector publishes the alert (before the writer stores it) */
  detectedP50: number
  detectedP99: number
  alerts: number
  achieved: number
}

async function embeddedRun(rate: number, stream: PrivpathEvent[]): Promise<Latency> {
  const dir = await mkdtemp(join(tmpdir(), 'privpath-bench-detector-'))
  const storeConfig = { data_dir: dir, clickhouse_url: '', username: 'default', password: '' }
  const client = createStoreClient(storeConfig)
  const connections = [client]
  const telemetry = silentTelemetry()
  try {
    await migrate(client, { database: 'privpath', eventsTtlDays: 30 })
    const bus = new MemoryBus<CoreTopics>()
    // as `privpath up` does: the writer's events and alerts on connections of their own (`up`
    // also hands alerts to delivery, which waits for the outbox of every configured sink; this
    // measures the store alone, as with no sink configured)
    const eventsClient = createStoreClient(storeConfig)
    const alertClient = createStoreClient(storeConfig)
    connections.push(eventsClient, alertClient)
    const writer = await startWriter({
      bus, client: eventsClient, alertClient, database: 'privpath', telemetry, batchRows: 20_000, flushMs: Number(args['flush-ms']), deadLetterDir: join(dir, 'dead-letter'),
    })
    const accepted = new Map<string, number>()
    const latencies: number[] = []
    const detected: number[] = []
    const absence = new Set(pack.rules.filter((r) => r.correlation.type === 'absence').map((r) => r.id))
    const measuring: Bus<CoreTopics> = {
      kind: bus.kind,
      subscribe: bus.subscribe.bind(bus),
      close: bus.close.bind(bus),
      async publish(topic, messages) {
        const publishing = performance.now()
        await bus.publish(topic, messages)
        if (topic !== 'alerts') return
        const stored = performance.now()
        for (const { value } of messages as Array<{ value: Alert }>) {
          if (absence.has(value.rule_id)) continue
          const at = accepted.get(value.event_ids[value.event_ids.length - 1])
          if (at === undefined) continue
          latencies.push(stored - at)
          detected.push(publishing - at)
        }
      },
    }
    const detector = startDetector({ bus: measuring, config, telemetry, rulesDirs: [builtinRulesDir()], watchRules: false })
    await detector.ready
    const batch = 100
    const started = performance.now()
    const pending: Promise<void>[] = []
    for (let i = 0; i < stream.length; i += batch) {
      const due = started + (i / rate) * 1000
      const wait = due - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      const slice = stream.slice(i, i + batch)
      const now = performance.now()
      for (const e of slice) accepted.set(e.event_id, now)
      pending.push(bus.publish('events', slice.map((e) => ({ key: e.task_id, value: e }))))
    }
    await Promise.all(pending)
    const achieved = stream.length / ((performance.now() - started) / 1000)
    await detector.stop()
    await writer.stop()
    await bus.close()
    latencies.sort((a, b) => a - b)
    detected.sort((a, b) => a - b)
    if (latencies.length === 0) throw new Error('no alert was stored: nothing to measure')
    return {
      p50: percentile(latencies, 50), p99: percentile(latencies, 99),
      detectedP50: percentile(detected, 50), detectedP99: percentile(detected, 99),
      alerts: latencies.length, achieved,
    }
  } finally {
    for (const connection of connections) await connection.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const first = await engineRun()
const measured = await engineRun()
const best = first.rate > measured.rate ? first : measured
const byRule: Record<string, number> = {}
for (const a of measured.alerts.values()) byRule[a.rule_id] = (byRule[a.rule_id] ?? 0) + 1
console.log(`alerts by rule: ${JSON.stringify(byRule)}`)
const naive = await naiveRun(events.slice(0, Number(args['naive-events'])))
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
console.log(`engine : ${fmt(best.rate)} events/s wall, ${fmt(best.cpuRate)} events/CPU-s (${events.length} events, best of 2 runs)`)
console.log(`naive  : ${fmt(naive.rate)} events/s wall, ${fmt(naive.cpuRate)} events/CPU-s (first ${args['naive-events']} events, jsonata interpreter, no index)`)
console.log(`ratio  : ${(best.rate / naive.rate).toFixed(1)}x wall, ${(best.cpuRate / naive.cpuRate).toFixed(1)}x CPU`)
if (!args['no-embedded']) {
  const rates = args.rates.split(',').map(Number)
  console.log(`embedded (bus + writer flushMs ${args['flush-ms']} + chDB + detector), accepted→alert stored; in brackets accepted→alert published by the detector:`)
  for (const rate of rates) {
    // ~34 events per task: a stream of about rate × seconds events, an anomaly in every 4th task
    const tasks = Math.ceil((rate * Number(args.seconds)) / 34)
    const { events: sample } = privilegeStream({ tasks, tenants: 20, startEveryMs: 10, anomalyEvery: 4, seed: 2 })
    const latency = await embeddedRun(rate, sample)
    console.log(
      `  ${fmt(rate).padStart(6)} events/s offered, ${fmt(latency.achieved).padStart(6)} achieved (${sample.length} events): ` +
        `p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms over ${latency.alerts} alerts ` +
        `(detector: p50 ${latency.detectedP50.toFixed(1)} ms, p99 ${latency.detectedP99.toFixed(1)} ms)`,
    )
  }
}
