/**
 * Decisions per second and their latency over loopback: privpath (collector + detector, the full
 * rule pack) in a child process with `--tasks` (10,000) live tasks; this process asks about tool
 * calls of random live tasks — a payment to the bill's IBAN (allowed), to an injected IBAN in the
 * tasks whose inbox carried the injection (denied), a search — each naming the task's last span,
 * so the freshness check runs on every decision. Two phases, in one run:
 *   paced: `--rate` decisions/s (1,000) for `--seconds`, open loop: p50 / p99 / max latency;
 *   saturated: `--concurrency` requests in flight for `--seconds`: decisions/s, p50 / p99.
 * Targets: p99 ≤ 5 ms at 1,000 decisions/s; ≥ 5,000 decisions/s.
 *
 *   npm run bench:decision [-- --tasks 10000 --rate 1000 --seconds 10 --concurrency 32]
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
  },
})
const TASKS = Number(values.tasks)
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const CONCURRENCY = Number(values.concurrency)

const child = spawn(process.execPath, [...(process.env.PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROFILE_DIR] : []), '--import', 'tsx', 'bench/decision/server.ts', '--tasks', String(TASKS)], { stdio: ['ignore', 'pipe', 'inherit'] })
const filledStarted = performance.now()
const url = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('READY ')) resolve(line.slice(6))
  })
  child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
})
console.log(`server ready with ${TASKS.toLocaleString('en-US')} live tasks after ${((performance.now() - filledStarted) / 1000).toFixed(1)} s`)

const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 })
const bodies = ['GB33BUKB20201555555555', 'DE89370400440532013000', ''].map((iban) => (n: number) =>
  JSON.stringify({
    subject: { type: 'agent', id: `agent-${n % 50}` },
    action: { name: iban === '' ? 'search_docs' : 'send_money' },
    resource: { type: 'tool', id: 'send_money', properties: iban === '' ? { arguments: { q: 'tariffs' } } : { arguments: { recipient: iban, amount: 84.2 }, credential_id: `cred-${n}` } },
    context: { task_id: `task-${n}`, after_span_id: `${n.toString(16).padStart(12, '0')}0005` },
  }),
)
let denied = 0
let asked = 0
async function ask(i: number): Promise<number> {
  const n = Math.floor(Math.random() * TASKS)
  const body = bodies[i % 3](n)
  const started = performance.now()
  const res = await pool.request({ path: '/access/v1/evaluation', method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const answer = (await res.body.json()) as { decision: boolean }
  const ms = performance.now() - started
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${JSON.stringify(answer)}`)
  asked++
  if (!answer.decision) denied++
  return ms
}

/** The server's CPU time (all threads) in µs, from /proc: what a decision costs whatever else runs on the machine. */
const serverCpu = (): number => {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const summary = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b)
  return `p50 ${pct(sorted, 50).toFixed(2)} ms, p99 ${pct(sorted, 99).toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`
}

// warm-up: compiled paths, connections
for (let i = 0; i < 2_000; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => ask(i + k)))

// paced, open loop: a request every 1/RATE s whatever the answers take
const paced: number[] = []
{
  const total = RATE * SECONDS
  const started = performance.now()
  const inflight: Array<Promise<void>> = []
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    inflight.push(ask(i).then((ms) => void paced.push(ms)))
  }
  await Promise.all(inflight)
  const seconds = (performance.now() - started) / 1000
  console.log(`paced ${RATE}/s for ${SECONDS} s: ${paced.length} decisions in ${seconds.toFixed(1)} s (${Math.round(paced.length / seconds)}/s), ${summary(paced)} (target p99 ≤ 5 ms)`)
}

// saturated, closed loop
{
  const latencies: number[] = []
  const until = performance.now() + SECONDS * 1000
  const started = performance.now()
  const cpuBefore = serverCpu()
  let i = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) latencies.push(await ask(i++))
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const rate = latencies.length / seconds
  const cpuPerDecision = (serverCpu() - cpuBefore) / latencies.length
  console.log(`saturated, ${CONCURRENCY} in flight: ${Math.round(rate)} decisions/s, ${summary(latencies)} (target ≥ 5,000/s)`)
  console.log(`server CPU per decision: ${Math.round(cpuPerDecision)} µs (all threads): at most ${Math.round(1e6 / cpuPerDecision)} decisions/s per core`)
}
console.log(`answers: ${asked} decisions, ${((100 * denied) / asked).toFixed(1)}% denied (one request in three pays an injected IBAN; a quarter of tasks carry the injection)`)
await pool.close()
child.kill('SIGTERM')
