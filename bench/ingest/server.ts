/**
 * What bench:ingest does to one running collector: start it as a child `privpath up` from a
 * source tree (this one, or a worktree of another commit), send one round of bodies to it (OTLP/HTTP,
 * or OTLP/gRPC through grpc.ts) and wait until it has processed them, and read its CPU time from /proc.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Pool } from 'undici'
import { decodeTraces } from '../../collector/otlp/decode.js'
import { freePort } from '../../testkit/processes.js'

export interface Round {
  accepted: number
  processed: number
  /** Decode-only rate of this round's bodies, measured just before it: the machine's speed right then. */
  decodeOnly: number
  latencies: number[]
  retries: number
  /** Server CPU µs per span over the round (until processed): every thread, and the event loop's thread alone. */
  cpu?: { all: number; main: number }
}

export interface Server {
  origin: string
  pid: number
  pool: Pool
  /** The OTLP/gRPC port; undefined for a tree without the gRPC receiver (--against an older commit). */
  grpcPort: number | undefined
  /** The null sink (null-sink.ts): it keeps nothing, so a request is processed once answered. */
  nullSink?: boolean
}

/** Sends one export request on the worker's own connection: 'retry' for a refusal worth retrying (queue full, unavailable). */
export type Send = (body: Uint8Array, worker: number) => Promise<'ok' | 'retry'>

/** OTLP/HTTP protobuf POSTs through the server's pool (one connection per worker). */
const httpSend =
  (pool: Pool): Send =>
  async (body) => {
    const res = await pool.request({ path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
    await res.body.arrayBuffer()
    if (res.statusCode === 200) return 'ok'
    if (res.statusCode === 429 || res.statusCode === 503) return 'retry'
    throw new Error(`unexpected status ${res.statusCode}`)
  }

export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
export const median = (values: number[]) => pct([...values].sort((a, b) => a - b), 50)
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Decode-only rate (spans/s) and CPU µs per span of `requests`: the median of `passes` passes. */
export function decodeRate(requests: Uint8Array[], spans: number, passes: number): { rate: number; cpu: number } {
  const rates: number[] = []
  const cpus: number[] = []
  for (let pass = 0; pass < passes; pass++) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    let decoded = 0
    for (const body of requests) decoded += decodeTraces(body, 'protobuf').request.resourceSpans.length
    const seconds = (performance.now() - started) / 1000
    if (decoded === 0) throw new Error('nothing decoded')
    rates.push(spans / seconds)
    const used = process.cpuUsage(cpu)
    cpus.push((used.user + used.system) / spans)
  }
  return { rate: median(rates), cpu: median(cpus) }
}

const TICK_MICROS = 10_000 // Linux reports thread times in clock ticks of 10 ms (CLK_TCK 100)

/** utime + stime of a process (all threads) and of its main thread, in µs; undefined without /proc. */
function serverCpu(pid: number): { all: number; main: number } | undefined {
  const ticks = (path: string) => {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS
  }
  try {
    return { all: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`) }
  } catch {
    return undefined
  }
}

/** The named samples of one /metrics read: each read costs the server's event loop about 1.3 ms, so one read serves every gauge. */
export async function gauges<N extends string>(origin: string, names: readonly N[]): Promise<Record<N, number>> {
  const lines = (await (await fetch(`${origin}/metrics`)).text()).split('\n')
  const out = {} as Record<N, number>
  for (const name of names) {
    const line = lines.find((l) => l.startsWith(`${name} `))
    if (!line) throw new Error(`metric ${name} missing`)
    out[name] = Number(line.split(' ')[1])
  }
  return out
}

const DRAIN_GAUGES = ['privpath_collector_queue_depth', 'privpath_collector_held_spans'] as const

/**
 * Sends `requests` with `concurrency` workers (OTLP/HTTP unless `send` says otherwise), retrying
 * refusals after a pause as an OTel exporter would, then waits until they are processed.
 */
export async function round(server: Server, requests: Uint8Array[], spans: number, concurrency: number, send = httpSend(server.pool)): Promise<Round> {
  const { origin, pid } = server
  const decodeOnly = decodeRate(requests, spans, 3).rate
  const latencies: number[] = []
  let retries = 0
  let next = 0
  const cpuBefore = serverCpu(pid)
  const started = performance.now()
  const worker = async (id: number) => {
    for (;;) {
      const index = next++
      if (index >= requests.length) return
      for (;;) {
        const t0 = performance.now()
        if ((await send(requests[index], id)) === 'ok') {
          latencies.push(performance.now() - t0)
          break
        }
        retries++
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)))
  const posted = (performance.now() - started) / 1000
  // Done when every accepted request was published and no span still waits for its parent;
  // polled sparingly, since the server is busy exactly now (one /metrics read per poll).
  while (!server.nullSink) {
    const drain = await gauges(origin, DRAIN_GAUGES)
    if (drain.privpath_collector_queue_depth === 0 && drain.privpath_collector_held_spans === 0) break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const processed = (performance.now() - started) / 1000
  const cpuAfter = serverCpu(pid)
  const cpu =
    cpuBefore && cpuAfter ? { all: (cpuAfter.all - cpuBefore.all) / spans, main: (cpuAfter.main - cpuBefore.main) / spans } : undefined
  return { accepted: spans / posted, processed: spans / processed, decodeOnly, latencies, retries, cpu }
}

/** The Node flags `npm start` of the tree at `root` runs privpath with (e.g. the young generation size). */
function startFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { privpath: string }; scripts: { start: string } }
  const words = pkg.scripts.start.split(' ')
  const bin = words.indexOf(pkg.bin.privpath)
  if (words[0] !== 'node' || bin < 0) throw new Error(`unexpected start script: ${pkg.scripts.start}`)
  return words.slice(1, bin)
}

/** The role set that stands for the null sink in `--roles`. */
export const NULL_SINK = 'null-sink'

/** Starts the null sink (null-sink.ts) as a child with the Node flags of `npm start`; `close` stops it. */
export async function startNullSink(root: string, concurrency: number): Promise<Server & { close(): Promise<void> }> {
  const child = spawn(process.execPath, [...startFlags(root), '--import', 'tsx', join(root, 'bench/ingest/null-sink.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const kill = () => child.kill('SIGTERM')
  process.once('exit', kill)
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`the null sink exited with ${code}`)))
  })
  const origin = `http://127.0.0.1:${port}`
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 })
  return {
    origin,
    pid: child.pid!,
    pool,
    grpcPort: undefined,
    nullSink: true,
    close: async () => {
      await pool.close()
      process.off('exit', kill)
      kill()
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

/** Runs `privpath up --roles <roles>` from the source tree at `root` (with its own start flags) while `run` uses it. */
export async function serve(root: string, roles: string, concurrency: number, run: (server: Server) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privpath-bench-'))
  const child = spawn(process.execPath, [...startFlags(root), '--import', 'tsx', join(root, 'cli/main.ts'), 'up', '--roles', roles, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // gRPC has no "pick a port" setting (0 turns it off): a port free right now.
    env: { ...process.env, PRIVPATH_LOG_LEVEL: 'info', PRIVPATH_GRPC_PORT: String(await freePort()) },
  })
  try {
    const { port, grpcPort } = await new Promise<{ port: number; grpcPort: number | undefined }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.includes('privpath is up')) return
        const up = JSON.parse(line) as { port: number; grpc_port?: number }
        resolve({ port: up.port, grpcPort: up.grpc_port })
      })
      child.once('exit', (code) => reject(new Error(`privpath exited with ${code}`)))
    })
    const origin = `http://127.0.0.1:${port}`
    const pool = new Pool(origin, { connections: concurrency, pipelining: 1 })
    try {
      await run({ origin, pid: child.pid!, pool, grpcPort })
    } finally {
      await pool.close()
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    await rm(dataDir, { recursive: true, force: true })
  }
}
