/**
 * The store at scale: fills a fresh store with N events through ClickHouse's own INSERT … SELECT
 * (bench/scale/fill.ts), starts `privpath up` on it, and prints what the console, the API and
 * Grafana cost there: task list median and p99 (all tenants, one tenant, with and without alerts,
 * the console's first page), task page p50/p99, alert lists p99, every Grafana panel, the time
 * to ready and the RSS of the first start after the fill and of a restart after it (the API is
 * measured on the restarted process). The same code runs against a ClickHouse server: set
 * PRIVPATH_CLICKHOUSE_URL (and _USER, _PASSWORD); the bench fills a database of its own.
 *
 *   npx tsx bench/scale.bench.ts [--events 10000000] [--tasks 1000000] [--days 30] [--tenants 4]
 *     [--requests 100] [--panel-runs 5] [--entry dist|source] [--keep] [--dir <dir>]
 *
 * --keep keeps the filled store (and prints its directory); --dir <dir> fills that directory, or
 * measures the store an earlier run left there again without filling it.
 *
 * `privpath up` runs from dist/ (`npm run build` first), as `npm start` does, or from source
 * through tsx with `--entry source`. Steps that open the store run in child processes
 * (bench/scale/phases.ts): chDB binds one data directory per process.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { fill, openStore, panels, type FillResult, type PanelTiming } from './scale/phases.js'
import { latencyLine, ms } from './scale/stats.js'
import { measureApi, startPrivpath } from './scale/api.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    tasks: { type: 'string' },
    days: { type: 'string', default: '30' },
    tenants: { type: 'string', default: '4' },
    requests: { type: 'string', default: '100' },
    'panel-runs': { type: 'string', default: '5' },
    entry: { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    phase: { type: 'string' },
    end: { type: 'string' },
  },
})

const events = Number(args.events)
const shape = {
  events,
  tasks: Number(args.tasks ?? Math.max(1, Math.round(events / 10))),
  days: Number(args.days),
  tenants: Number(args.tenants),
  end: Number(args.end ?? Date.now()),
}

/** A step in a child process: its answer is the last stdout line, `RESULT <json>`. */
async function child<T>(phase: string, dir: string, env: NodeJS.ProcessEnv): Promise<T> {
  const argv = ['--import', 'tsx', 'bench/scale.bench.ts', '--phase', phase, '--dir', dir, '--events', String(shape.events), '--tasks', String(shape.tasks)]
  argv.push('--days', String(shape.days), '--tenants', String(shape.tenants), '--end', String(shape.end), '--panel-runs', String(args['panel-runs']))
  const proc = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve))
  const line = out.split('\n').find((l) => l.startsWith('RESULT '))
  if (code !== 0 || line === undefined) throw new Error(`scale bench step ${phase} failed (exit ${code}):\n${out.slice(-2000)}`)
  return JSON.parse(line.slice('RESULT '.length)) as T
}

if (args.phase !== undefined) {
  const dir = args.dir as string
  const result = args.phase === 'fill' ? await fill(dir, shape) : await panels(dir, Number(args['panel-runs']))
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
  process.exit(0)
}

const server = process.env.PRIVPATH_CLICKHOUSE_URL ?? ''
const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'privpath-scale-'))
// A directory filled by an earlier run (--dir) is measured again as it is, on the same database.
const marker = join(dir, 'scale-fill.json')
const earlier = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as { database: string; filled: FillResult }) : undefined
// Against a server, a database of its own.
const database = earlier?.database ?? (server === '' ? 'privpath' : `privpath_scale_${Date.now()}`)
const env = { ...process.env, PRIVPATH_CLICKHOUSE_DATABASE: database, PRIVPATH_LOG_LEVEL: 'info' }
// Retention past the history's first day, so no part of it expires during the run.
const config = join(dir, 'scale.yaml')
const entry = args.entry ?? (existsSync(join(ROOT, 'dist/cli/main.js')) ? 'dist' : 'source')

console.log(`store: ${server === '' ? `chDB in ${dir}` : `${server}, database ${database}`}; privpath up from ${entry}`)
console.log(`shape: ${shape.events} events, ${shape.tasks} tasks, ${shape.days} days, ${shape.tenants} tenants`)
const filled = earlier?.filled ?? (await child<FillResult>('fill', dir, env))
writeFileSync(marker, JSON.stringify({ database, filled }))
writeFileSync(config, `store:\n  events_ttl_days: ${shape.days + 2}\n`)
const perCore = filled.cpuMs > 0 ? `, ${Math.round(filled.events / (filled.cpuMs / 1000)).toLocaleString('en')} events per CPU second` : ''
console.log(`\nfill: ${filled.events} events, ${filled.tasks} tasks, ${filled.alerts} alerts in ${(filled.wallMs / 1000).toFixed(1)} s wall` +
  ` (${Math.round(filled.events / (filled.wallMs / 1000)).toLocaleString('en')} events/s${perCore}); statements ${filled.statements.map((s) => `${(s.wallMs / 1000).toFixed(1)} s`).join(', ')};` +
  ` merges settled ${(filled.mergeMs / 1000).toFixed(0)} s later`)
for (const t of filled.tables) {
  console.log(`  ${t.table.padEnd(18)} ${String(t.rows).padStart(10)} rows  ${(t.bytes / 2 ** 20).toFixed(1).padStart(8)} MiB  ${((t.bytes / filled.events) * 1e6 / 2 ** 20).toFixed(1).padStart(6)} MiB per million events`)
}

// The first start opens what the fill left; the second is a restart of a store that has run.
const first = await startPrivpath({ root: ROOT, entry, dataDir: dir, config, env })
const firstRss = first.rssBytes()
await first.stop()
const up = await startPrivpath({ root: ROOT, entry, dataDir: dir, config, env })
console.log(`\nfirst start after the fill: ready after ${(first.readyMs / 1000).toFixed(1)} s, RSS ${(firstRss / 2 ** 20).toFixed(0)} MiB`)
console.log(`restart: ready after ${(up.readyMs / 1000).toFixed(1)} s, RSS ${(up.rssBytes() / 2 ** 20).toFixed(0)} MiB`)
try {
  const api = await measureApi(up.url, Number(args.requests), shape.end)
  console.log(`\nAPI (${up.url}, one request at a time):`)
  for (const [name, l, target] of api.lines) console.log(latencyLine(name, l, target))
  console.log(`  RSS after the API runs: ${(up.rssBytes() / 2 ** 20).toFixed(0)} MiB (peak ${(up.peakRssBytes() / 2 ** 20).toFixed(0)} MiB)`)
} finally {
  await up.stop()
}

const timings = await child<PanelTiming[]>('panels', dir, env)
console.log(`\nGrafana panels (last 6 hours, ${args['panel-runs']} runs each; target ≤ 1000 ms):`)
for (const p of timings) {
  const over = p.latency.max > 1000 ? '   OVER' : ''
  console.log(`  ${(p.tenant === '*' ? 'all' : p.tenant).padEnd(9)} ${p.name.padEnd(52)} median ${ms(p.latency.median).padStart(7)} ms  max ${ms(p.latency.max).padStart(7)} ms  rows ${String(p.rows).padStart(5)}${over}`)
}

if (!args.keep && args.dir === undefined) {
  if (server !== '') {
    const { client } = openStore(dir)
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` })
    await client.close()
  }
  rmSync(dir, { recursive: true, force: true })
} else console.log(`\nkept: ${dir}${server === '' ? '' : `, database ${database}`} (--dir ${dir} measures it again)`)
