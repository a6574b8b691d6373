/**
 * bench:restart's measured process: opens the store at argv[2] as `privpath up` does, starts the
 * detector over it and prints one JSON line (ChildReport). argv[3] `step`: instead of the restore,
 * the history's whole events go through the rules.
 */
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { validateConfig } from '../../core/config/load.js'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { createStoreClient } from '../../core/store/client.js'
import type { StateSizes } from '../../detector/engine/metrics.js'
import { storeHistory } from '../../detector/history.js'
import { startDetector } from '../../detector/service.js'

const DB = 'privpath'

interface Memory {
  rss: number
  heapUsed: number
  /** What V8 holds for its heap, used or not. */
  heapTotal: number
  external: number
  arrayBuffers: number
}

export interface ChildReport {
  events: number
  restored: number
  readyMs: number
  /** CPU time of the whole process (every thread, chDB's included) until ready. */
  readyCpuMs: number
  store: Memory
  ready: Memory
  afterGc: Memory
  /** Resident memory at ready, after GC. */
  rss: { anon: number; file: number }
  peakRss: number
  /** Entries per structure at ready, and after the first event's sweep. */
  entries: StateSizes
  swept: StateSizes
  /** Memory after the first sweep and a GC. */
  settled: Memory & { anon: number; file: number }
  /** Heap freed when each structure is dropped, in bytes. */
  attribution: Record<string, number>
  reuseCaught: boolean
}

const memory = (): Memory => {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external, arrayBuffers }
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (!collect) throw new Error('run with --expose-gc')
  collect()
  collect()
}

/** A line of /proc/self/status in bytes (Linux). */
function status(field: string): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`))
  return line ? Number(/(\d+)/.exec(line)![1]) * 1024 : Number.NaN
}

/** Peak resident set size of this process. */
const peakRss = () => status('VmHWM')

/** Resident memory now: anonymous (heaps, chDB's allocations) and file-backed (mapped code, mostly libchdb). */
const rssParts = () => ({ anon: status('RssAnon'), file: status('RssFile') })

const dir = process.argv[2]
const client = createStoreClient({ data_dir: dir, clickhouse_url: '', username: 'default', password: '' })
const count = async (query: string): Promise<Array<Record<string, string | number>>> =>
  (await client.query({ query, format: 'JSONEachRow' })).json()
const [{ n: events }] = await count(`SELECT count() AS n FROM ${DB}.events`)
// the newest credential issued to a task that has not ended (a live one), for the reuse check
const [live] = await count(`SELECT domain, tenant_id, task_id, credential_id FROM ${DB}.events
  WHERE kind = 'credential_issued' AND (domain, tenant_id, task_id) NOT IN (SELECT domain, tenant_id, task_id FROM ${DB}.events WHERE kind = 'task_end')
  ORDER BY ts DESC LIMIT 1`)
// what those two queries left in chDB's allocator is not the detector's: hand it back first
await client.command({ query: 'SYSTEM JEMALLOC PURGE' })
gc()
const store = memory()

const config = validateConfig({}).detector
// the detector logs how many rows it restored
let restored = 0
const logged = new Writable({
  write(chunk: Buffer, _encoding, done) {
    const line = JSON.parse(chunk.toString()) as { msg?: string; restored?: number }
    if (line.msg === 'detector state rebuilt from history') restored = line.restored ?? 0
    done()
  },
})
const telemetry = { logger: pino({ level: 'info' }, logged), registry: new Registry() }
// the sources the detector role gives the detector (server/roles/detector.ts)
const { loadHistory, loadState } = storeHistory(client, DB, config, true)
const started = performance.now()
const cpu = process.cpuUsage()
const step = process.argv[3] === 'step'
const detector = startDetector({
  bus: new MemoryBus<CoreTopics>(),
  config,
  telemetry,
  watchRules: false,
  tickMs: 0,
  ...(step ? {} : { loadHistory, loadState }),
})
await detector.ready
if (step) {
  // what rebuilding open windows and provenance as well would take: the same rows as whole events
  // through the rules in time order, alerts discarded (as a rebalance's rebuild does, rebuild.ts)
  const engine = detector.engine()!
  let batch: PrivpathEvent[] = []
  for await (const event of loadHistory()) {
    batch.push(event)
    if (batch.length === 1_000) {
      await engine.stepBatch(batch)
      restored += batch.length
      batch = []
    }
  }
  await engine.stepBatch(batch)
  restored += batch.length
}
const readyMs = performance.now() - started
const used = process.cpuUsage(cpu)
const readyCpuMs = (used.user + used.system) / 1000
const ready = memory()
gc()
const afterGc = memory()
const rss = rssParts()
const engine = detector.engine()!
const entries = engine.stateSizes()

// the first event after a restart sweeps its domain: credentials ended past their grace become tombstones
let reuseCaught = false
if (live) {
  const use = {
    ...emptyEvent(),
    kind: 'credential_used' as const,
    event_id: 'bench-reuse',
    source: 'privpath' as const,
    ts: engine.watermark,
    domain: String(live.domain),
    tenant_id: String(live.tenant_id),
    task_id: 'another-task',
    credential_id: String(live.credential_id),
  }
  const alerts = await engine.process(use)
  reuseCaught = alerts.some((a) => a.rule_id === 'credential-reused-beyond-task' && a.summary.includes(String(live.task_id)))
}
// and one event in every other domain, so each has had its first sweep
for (const { domain } of await count(`SELECT DISTINCT domain FROM ${DB}.events`)) {
  await engine.process({ ...emptyEvent(), kind: 'other', event_id: 'bench-sweep', domain: String(domain), ts: engine.watermark })
}
const swept = engine.stateSizes()
gc()
const settled = { ...memory(), ...rssParts() }
await detector.stop()

/**
 * What each structure costs: the heap freed when it is dropped, one after the other. Reaches into
 * the engine's domains (no API hands state out to be discarded); the engine is not used after.
 */
const attribution: Record<string, number> = {}
const domains = [...(Reflect.get(engine, 'domains') as Map<string, Record<string, unknown>>).values()]
let heap = (gc(), process.memoryUsage().heapUsed)
for (const structure of ['registry', 'agents', 'tasks', 'provenance', 'correlation', 'dedup']) {
  for (const domain of domains) domain[structure] = undefined
  gc()
  const now = process.memoryUsage().heapUsed
  attribution[structure] = heap - now
  heap = now
}
await client.close()
const report: ChildReport = { events: Number(events), restored, readyMs, readyCpuMs, store, ready, afterGc, rss, peakRss: peakRss(), entries, swept, settled, attribution, reuseCaught }
console.log(JSON.stringify(report))
