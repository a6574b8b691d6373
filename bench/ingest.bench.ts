/**
 * OTLP ingest throughput of the embedded server (collector → WAL → pipeline → in-process bus →
 * writer → chDB), against the decode-only rate of the same bodies measured in the same run.
 *
 * Bodies: realistic agent tasks (bench/fixtures/agent-tasks.ts) serialised by the OTel protobuf
 * serializer. A client with bounded concurrency (undici Pool) posts them over loopback, retrying
 * 429/503 after Retry-After as an OTel exporter would. Reported:
 *   accepted spans/s  - spans answered 200 (durable in the WAL) per second of posting
 *   stored spans/s    - spans per second until every accepted request was published and the
 *                       writer's inserts resolved (in-process mode only)
 *   p50/p99           - request latency of 200 answers
 * Modes: `inprocess` (server and client share this process), `child` (server is a child
 * `privpath up`, client here: the client gets its own core). Default: both.
 * Run: npm run bench:ingest [-- --tasks 3000 --spans-per-request 200 --concurrency 16 --mode both]
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { startApp } from '../cli/app.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry } from '../core/telemetry.js'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTraces } from '../collector/otlp/decode.js'
import { encodeRecord } from '../collector/wal/record.js'
import { eventToCompactRow } from '../core/store/rows.js'
import { agentTaskRequests } from './fixtures/agent-tasks.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '3000' },
    'spans-per-request': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    mode: { type: 'string', default: 'both' },
  },
})
const concurrency = Number(args.concurrency)
const { bodies, spanCount } = agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: Number(args['spans-per-request']), tenants: 4, seed: 7 })
const spansPerBody = bodies.map((b) => decodeTraces(b, 'protobuf').request.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0))
const totalBytes = bodies.reduce((n, b) => n + b.length, 0)

/** CPU microseconds (user + system, every thread of this process) per span between two cpuUsage() readings. */
const cpuPerSpan = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from)
  return (used.user + used.system) / spanCount
}

let decodeCpuPerSpan = 0
function decodeOnly(): number {
  const rates: number[] = []
  const cpus: number[] = []
  for (let round = 0; round < 5; round++) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    let decoded = 0
    for (const body of bodies) decoded += decodeTraces(body, 'protobuf').request.resourceSpans.length
    const seconds = (performance.now() - started) / 1000
    if (decoded === 0) throw new Error('nothing decoded')
    rates.push(spanCount / seconds)
    cpus.push(cpuPerSpan(cpu))
  }
  decodeCpuPerSpan = cpus.sort((a, b) => a - b)[2]
  return rates.sort((a, b) => a - b)[2]
}

/**
 * CPU µs per span of each step the ingest path runs, on the same bodies, single-threaded and warm
 * (median of 3): where a span's cost goes, independent of how busy the machine is.
 */
function stageCosts(): string {
  const runs: Record<string, number[]> = {}
  const measure = <T>(name: string, work: () => T): T => {
    const cpu = process.cpuUsage()
    const out = work()
    ;(runs[name] ??= []).push(cpuPerSpan(cpu))
    return out
  }
  for (let round = 0; round < 3; round++) {
    const decoded = measure('decode', () => bodies.map((b) => decodeTraces(b, 'protobuf').request))
    measure('wal record', () => bodies.forEach((body, i) => encodeRecord(i, { signal: 'traces', format: 'protobuf', tenant: '', body })))
    const mapped = measure('map+redact', () => decoded.map((r) => mapTraceRequest(r, { authTenant: '', observedAt: Date.now() })))
    const correlator = new Correlator({ maxHeldSpans: 1_000_000, maxKnownSpans: 1_000_000 })
    const placed = measure('correlate', () => mapped.flatMap((records) => correlator.add(records, Date.now())))
    // What the writer does per event: one JSONCompactEachRow line, joined into the insert body.
    measure('row encode', () => placed.flatMap((r) => r.events.map(eventToCompactRow)).join('\n'))
  }
  return Object.entries(runs)
    .map(([name, values]) => `${name} ${values.sort((a, b) => a - b)[1].toFixed(1)}`)
    .join(', ')
}

interface Result {
  /** CPU µs per span spent by this process (all threads) from the first request until everything was published/stored. */
  cpuPerSpan?: number
  acceptedPerSecond: number
  latencies: number[]
  retries: number
  seconds: number
}

async function post(origin: string): Promise<Result> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 })
  const latencies: number[] = []
  let retries = 0
  let next = 0
  const started = performance.now()
  const worker = async () => {
    for (;;) {
      const index = next++
      if (index >= bodies.length) return
      for (;;) {
        const t0 = performance.now()
        const res = await pool.request({ path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: bodies[index] })
        await res.body.arrayBuffer()
        if (res.statusCode === 200) {
          latencies.push(performance.now() - t0)
          break
        }
        if (res.statusCode !== 429 && res.statusCode !== 503) throw new Error(`unexpected status ${res.statusCode}`)
        retries++
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  await pool.close()
  return { acceptedPerSecond: spanCount / seconds, latencies: latencies.sort((a, b) => a - b), retries, seconds }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

function config(dataDir: string, roles: string[]) {
  return validateConfig({ roles, server: { port: 0 }, store: { data_dir: dataDir }, log_level: 'warn' })
}

/** `roles` collector alone: the bus has no subscriber, so this measures receiver + WAL + map + correlate without the store. */
async function inProcess(roles: string[]): Promise<Result & { storedPerSecond: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privpath-bench-'))
  const telemetry = silentTelemetry()
  const app = await startApp({ config: config(dataDir, roles), telemetry })
  try {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const result = await post(app.url)
    await app.collector!.pipeline.drain()
    result.cpuPerSpan = cpuPerSpan(cpu)
    const storedPerSecond = spanCount / ((performance.now() - started) / 1000)
    const metrics = await telemetry.registry.getMetricsAsJSON()
    const sum = (name: string, suffix: string) =>
      metrics.find((m) => m.name === name)?.values.filter((v) => (v as { metricName?: string }).metricName === name + suffix).reduce((n, v) => n + v.value, 0) ?? 0
    const fsyncs = sum('privpath_collector_wal_fsync_seconds', '_count')
    const inserts = sum('privpath_writer_insert_duration_seconds', '_count')
    console.log(
      `  [${roles.join('+')}] WAL: ${fsyncs} group commits for ${bodies.length} requests, mean ${((1000 * sum('privpath_collector_wal_fsync_seconds', '_sum')) / fsyncs).toFixed(1)} ms (write + fdatasync + event-loop wait)` +
        (inserts === 0
          ? ''
          : `; writer: ${inserts} inserts, mean ${((1000 * sum('privpath_writer_insert_duration_seconds', '_sum')) / inserts).toFixed(0)} ms, ` +
            `${Math.round(sum('privpath_writer_batch_rows', '_sum') / Math.max(1, sum('privpath_writer_batch_rows', '_count')))} rows/insert`),
    )
    return { ...result, storedPerSecond }
  } finally {
    await app.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function childProcess(): Promise<Result> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privpath-bench-'))
  const main = new URL('../cli/main.ts', import.meta.url).pathname
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'up', '--roles', 'collector,writer', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PRIVPATH_LOG_LEVEL: 'info' },
  })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('privpath is up')) resolve((JSON.parse(line) as { port: number }).port)
      })
      child.once('exit', (code) => reject(new Error(`privpath exited with ${code}`)))
    })
    return await post(`http://127.0.0.1:${port}`)
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    await rm(dataDir, { recursive: true, force: true })
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`bodies: ${bodies.length} requests, ${fmt(spanCount)} spans (${Math.round(spanCount / bodies.length)}/request, ${(totalBytes / bodies.length / 1024).toFixed(1)} KiB/request), concurrency ${concurrency}`)
if (spansPerBody.reduce((a, b) => a + b, 0) !== spanCount) throw new Error('fixture span count mismatch')
const decodeRate = decodeOnly()
console.log(`decode-only (protobuf → model, median of 5): ${fmt(decodeRate)} spans/s, ${decodeCpuPerSpan.toFixed(1)} CPU µs/span`)
console.log(`CPU µs/span by step (single thread, warm): ${stageCosts()}`)
const mode = args.mode
if (mode === 'inprocess' || mode === 'both') {
  const c = await inProcess(['collector'])
  console.log(
    `in-process, collector only (no store): accepted ${fmt(c.acceptedPerSecond)} spans/s, published ${fmt(c.storedPerSecond)} spans/s, ` +
      `p50 ${pct(c.latencies, 50).toFixed(1)} ms, p99 ${pct(c.latencies, 99).toFixed(1)} ms, ratio published/decode-only ${(c.storedPerSecond / decodeRate).toFixed(2)}; ` +
      `${c.cpuPerSpan!.toFixed(1)} CPU µs/span incl. the client (${(c.cpuPerSpan! / decodeCpuPerSpan).toFixed(1)}x decode)`,
  )
  const r = await inProcess(['collector', 'writer'])
  console.log(
    `in-process, collector + writer (chDB): accepted ${fmt(r.acceptedPerSecond)} spans/s (${r.seconds.toFixed(2)} s), stored ${fmt(r.storedPerSecond)} spans/s, ` +
      `p50 ${pct(r.latencies, 50).toFixed(1)} ms, p99 ${pct(r.latencies, 99).toFixed(1)} ms, 429/503 retries ${r.retries}, ` +
      `ratio accepted/decode-only ${(r.acceptedPerSecond / decodeRate).toFixed(2)}, stored/decode-only ${(r.storedPerSecond / decodeRate).toFixed(2)}; ` +
      `${r.cpuPerSpan!.toFixed(1)} CPU µs/span incl. the client and chDB threads (${(r.cpuPerSpan! / decodeCpuPerSpan).toFixed(1)}x decode)`,
  )
}
if (mode === 'child' || mode === 'both') {
  const r = await childProcess()
  console.log(
    `child process: accepted ${fmt(r.acceptedPerSecond)} spans/s (${r.seconds.toFixed(2)} s), p50 ${pct(r.latencies, 50).toFixed(1)} ms, ` +
      `p99 ${pct(r.latencies, 99).toFixed(1)} ms, 429/503 retries ${r.retries}, ratio accepted/decode-only ${(r.acceptedPerSecond / decodeRate).toFixed(2)}`,
  )
}
