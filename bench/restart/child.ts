/**
 * bench:restart's measured process: opens the store at argv[2] as `privpath up` does, starts the
 * detector over it and prints one JSON line (ChildReport).
 */
import { readFileSync } from 'node:fs'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { validateConfig } from '../../core/config/load.js'
import { emptyEvent } from '../../core/event.js'
import { createStoreClient } from '../../core/store/client.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { clickhouseHistory } from '../../detector/history.js'
import { startDetector } from '../../detector/service.js'

const DB = 'privpath'

interface Memory {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

export interface ChildReport {
  events: number
  restored: number
  readyMs: number
  store: Memory
  ready: Memory
  afterGc: Memory
  peakRss: number
  entries: Record<string, number>
  reuseCaught: boolean
}

const memory = (): Memory => {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, external, arrayBuffers }
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (!collect) throw new Error('run with --expose-gc')
  collect()
  collect()
}

/** Peak resident set size of this process (Linux). */
function peakRss(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))
  return line ? Number(/(\d+)/.exec(line)![1]) * 1024 : Number.NaN
}

const dir = process.argv[2]
const client = createStoreClient({ data_dir: dir, clickhouse_url: '', username: 'default', password: '' })
const count = async (query: string): Promise<Array<Record<string, string | number>>> =>
  (await client.query({ query, format: 'JSONEachRow' })).json()
const [{ n: events }] = await count(`SELECT count() AS n FROM ${DB}.events`)
// a credential issued to a live task (the newest population), for the reuse check
const [live] = await count(`SELECT domain, tenant_id, task_id, credential_id FROM ${DB}.events
  WHERE kind = 'credential_issued' AND ts >= now64(6) - INTERVAL 30 MINUTE ORDER BY ts DESC LIMIT 1`)
gc()
const store = memory()

const config = validateConfig({}).detector
const telemetry = silentTelemetry()
let restored = 0
const history = clickhouseHistory(client, DB, { tombstoneHours: config.credential_tombstone_ms / 3_600_000 })
const started = performance.now()
const detector = startDetector({
  bus: new MemoryBus<CoreTopics>(),
  config,
  telemetry,
  watchRules: false,
  tickMs: 0,
  loadHistory: async function* () {
    for await (const event of history()) {
      restored++
      yield event
    }
  },
})
await detector.ready
const readyMs = performance.now() - started
const ready = memory()
gc()
const afterGc = memory()
const engine = detector.engine()!
const stats = engine.stats()
const entries: Record<string, number> = {
  tasks: stats.tasks,
  credentials: stats.credentials,
  dedup_windows: stats.dedupWindows,
  threshold_groups: stats.thresholdGroups,
  sequence_partials: stats.sequencePartials,
  pending_absences: stats.pendingAbsences,
}

let reuseCaught = false
if (live) {
  const use = {
    ...emptyEvent(),
    kind: 'credential_used' as const,
    event_id: 'bench-reuse',
    source: 'privpath' as const,
    ts: Date.now(),
    domain: String(live.domain),
    tenant_id: String(live.tenant_id),
    task_id: 'another-task',
    credential_id: String(live.credential_id),
  }
  const alerts = await engine.process(use)
  reuseCaught = alerts.some((a) => a.rule_id === 'credential-reused-beyond-task' && a.summary.includes(String(live.task_id)))
}
await detector.stop()
await client.close()
const report: ChildReport = { events: Number(events), restored, readyMs, store, ready, afterGc, peakRss: peakRss(), entries, reuseCaught }
console.log(JSON.stringify(report))
