/**
 * Detector restart: time to ready and memory after rebuilding state from the store.
 *
 * A fresh chDB store (or --store DIR, filled once and reused with --keep) holds four populations of
 * agent tasks (bench/restart/fill.ts): --live-tasks open tasks active in the last 20 minutes (the
 * state a restart must bring back), --stale-tasks open tasks last active 1–23 hours ago (never
 * ended, past `detector.task_inactivity_ms`), --recent-tasks tasks finished in the last 24 hours
 * and --old-tasks finished over the 30 days before. Then a child process (the Node flags of
 * `npm start`, plus --expose-gc) opens the store as `privpath up` does, starts the detector
 * (built-in rules, default settings, in-process bus) with the history the detector role loads,
 * and reports:
 * - ready: time from `startDetector` to `ready` (rules loaded, history read and folded in), and the
 *   CPU time the process spent meanwhile (every thread, chDB's included: this machine is shared);
 * - memory: RSS, V8 heap used, external and array buffers right after ready, again after a full
 *   GC, and the peak RSS of the process (VmHWM); `store only` is the same child before the
 *   detector started (chDB opened, one count query), so the difference is the detector's;
 * - state: entries per structure (`privpath_detector_state_entries`) at ready and after the first
 *   event's sweep (credentials past their grace become tombstones), and the heap each structure
 *   frees when dropped (bytes per entry);
 * - a check: a live task's credential used from another task after the restart raises
 *   `credential-reused-beyond-task`.
 * `--mode step` measures instead what rebuilding open windows and provenance as well would take:
 * the same rows as whole events, through the rules in time order (alerts discarded).
 * Run: npx tsx bench/restart.bench.ts [-- --live-tasks 100000 --stale-tasks 50000 --recent-tasks 30000 --old-tasks 200000 --tenants 4 --store DIR --keep --mode restore|step]
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createStoreClient } from '../core/store/client.js'
import { migrate } from '../core/store/migrate.js'
import { eventsPerTask, insertPopulation, type Population } from './restart/fill.js'
import type { ChildReport } from './restart/child.js'

const DB = 'privpath'
const CHILD = new URL('./restart/child.ts', import.meta.url).pathname

const { values: args } = parseArgs({
  options: {
    'live-tasks': { type: 'string', default: '100000' },
    'stale-tasks': { type: 'string', default: '50000' },
    'recent-tasks': { type: 'string', default: '30000' },
    'old-tasks': { type: 'string', default: '200000' },
    tenants: { type: 'string', default: '4' },
    store: { type: 'string' },
    keep: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'restore' },
  },
})

const HOUR = 3_600
const populations: Population[] = [
  { name: 'old', tasks: Number(args['old-tasks']), tenants: Number(args.tenants), newestAgoS: 25 * HOUR, spreadS: 29 * 24 * HOUR, finished: true },
  { name: 'recent', tasks: Number(args['recent-tasks']), tenants: Number(args.tenants), newestAgoS: HOUR, spreadS: 23 * HOUR, finished: true },
  { name: 'stale', tasks: Number(args['stale-tasks']), tenants: Number(args.tenants), newestAgoS: HOUR, spreadS: 22 * HOUR, finished: false },
  { name: 'live', tasks: Number(args['live-tasks']), tenants: Number(args.tenants), newestAgoS: 60, spreadS: 20 * 60, finished: false },
]

const dir = args.store ?? mkdtempSync(join(tmpdir(), 'privpath-restart-bench-'))
const storeConfig = { data_dir: dir, clickhouse_url: '', username: 'default', password: '' }
const fresh = !existsSync(join(dir, 'clickhouse'))

if (fresh) {
  const client = createStoreClient(storeConfig)
  await migrate(client, { database: DB, eventsTtlDays: 31 })
  const started = performance.now()
  for (const p of populations) {
    if (p.tasks > 0) await insertPopulation(client, DB, p)
  }
  const expected = populations.reduce((sum, p) => sum + p.tasks * eventsPerTask(p.finished), 0)
  console.log(`filled ${dir}: ${expected.toLocaleString('en')} events in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  await client.close()
} else {
  console.log(`reusing ${dir} (populations as it was filled with)`)
}

const report = await new Promise<ChildReport>((resolve, reject) => {
  // the flags of `npm start`, and a GC the child can call to measure what stays
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--expose-gc', '--import', 'tsx', CHILD, dir, args.mode!], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildReport) : reject(new Error(`child exited with ${code}: ${out}`))))
})

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
const row = (name: string, m: ChildReport['store']) =>
  `| ${name} | ${mib(m.rss)} | ${mib(m.heapUsed)} | ${mib(m.heapTotal)} | ${mib(m.external)} | ${mib(m.arrayBuffers)} |`
console.log(`${args.mode}: store of ${report.events.toLocaleString("en")} events; ready in ${(report.readyMs / 1000).toFixed(1)} s, ${(report.readyCpuMs / 1000).toFixed(1)} s CPU (history: ${report.restored.toLocaleString('en')} rows read)`)
console.log('| when | RSS | heap used | heap held | external | array buffers |\n|---|---|---|---|---|---|')
console.log(row('store only', report.store))
console.log(row('ready', report.ready))
console.log(row('ready, after GC', report.afterGc))
console.log(row('after the first sweep, GC', report.settled))
// anonymous memory that is not V8's heap: chDB's allocations (and Node's own)
const native = report.rss.anon - report.afterGc.heapTotal - report.afterGc.external
console.log(`RSS after GC: ${mib(report.rss.anon)} anonymous (${mib(native)} of it outside V8's heap: chDB, Node) + ${mib(report.rss.file)} file-backed (mapped code, mostly libchdb); peak RSS (VmHWM): ${mib(report.peakRss)}`)
console.log(`detector heap after GC: ${mib(report.afterGc.heapUsed - report.store.heapUsed)}`)
console.log(`state entries at ready: ${JSON.stringify(report.entries)}`)
console.log(`after the first event's sweep: ${JSON.stringify(report.swept)}`)
const { tasks, credentials, tombstones, task_ends: taskEnds, agents } = report.swept
const per = (bytes: number, n: number) => (n === 0 ? '-' : `${Math.round(bytes / n)} B each`)
const a = report.attribution
console.log('| structure | entries | heap | per entry |\n|---|---|---|---|')
console.log(`| tasks | ${tasks} | ${mib(a.tasks)} | ${per(a.tasks, tasks)} |`)
console.log(`| registry (credentials + tombstones; task ends) | ${credentials} + ${tombstones}; ${taskEnds} | ${mib(a.registry)} | ${per(a.registry, credentials + tombstones)} |`)
console.log(`| agents with decisions | ${agents} | ${mib(a.agents)} | ${per(a.agents, agents)} |`)
console.log(`| provenance, correlation, dedup | - | ${mib(a.provenance + a.correlation + a.dedup)} | - |`)
console.log(`reuse of a live task's credential after the restart caught: ${report.reuseCaught ? 'yes' : 'NO'}`)
if (!args.keep && !args.store) rmSync(dir, { recursive: true, force: true })
else console.log(`store kept in ${dir}`)
if (!report.reuseCaught) process.exitCode = 1
