/**
 * Decode-only throughput of OTLP trace export bodies: privpath's protobuf decoder against
 * protobufjs reflection decoding of the same bytes, and against privpath's OTLP/JSON decoder (and
 * bare JSON.parse) on the same spans, and the receiver's protobuf check (verdicts and counts, no
 * model) that lets the queue hold bodies. Each decoder runs in its own child process, so none pays
 * for another's garbage or JIT state; the parent interleaves their rounds so machine noise hits
 * every decoder alike, and reports the median round.
 * Run: npm run bench:decode [-- --tasks N --rounds N]
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { decodeTracesJson, type DecodedTraces, checkTracesProtobuf } from '../collector/otlp/index.js'
import { decodeTracesProtobuf } from '../collector/otlp/protobuf-traces.js'
import { agentTaskJsonRequests, agentTaskRequests, type AgentTaskOptions } from '../testkit/fixtures/agent-tasks.js'
import { otlpProtoRoot } from '../testkit/fixtures/otlp-proto.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '9' },
    candidate: { type: 'string' },
  },
})
const options: AgentTaskOptions = { tasks: Number(args.tasks), spansPerRequest: 200, tenants: 4, seed: 1 }
const rounds = Number(args.rounds)

interface Candidate {
  name: string
  encoding: 'protobuf' | 'json'
  /** Decodes one body and returns the spans it found, so nothing is optimised away. */
  decode: (body: Uint8Array) => number
}

interface Round {
  wall: number
  cpu: number
}

function spansIn(decoded: DecodedTraces): number {
  let n = 0
  for (const rs of decoded.request.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length
  return n
}

type Nested = { [field: string]: Nested[] }

function countSpans(message: Nested, resourceField: string, scopeField: string): number {
  let n = 0
  for (const rs of message[resourceField]) for (const ss of rs[scopeField]) n += ss.spans.length
  return n
}

const candidates: Candidate[] = [
  { name: 'privpath protobuf → model', encoding: 'protobuf', decode: (b) => spansIn(decodeTracesProtobuf(b)) },
  {
    name: 'protobufjs reflection decode (Long times, byte ids, no model)',
    encoding: 'protobuf',
    decode: (() => {
      const RequestType = otlpProtoRoot().lookupType('otlp.ExportTraceServiceRequest')
      return (b: Uint8Array) => countSpans(RequestType.decode(b) as unknown as Nested, 'resource_spans', 'scope_spans')
    })(),
  },
  { name: 'privpath protobuf check (counts, no model)', encoding: 'protobuf', decode: (b) => checkTracesProtobuf(b).received },
  { name: 'privpath OTLP/JSON → model', encoding: 'json', decode: (b) => spansIn(decodeTracesJson(b)) },
  {
    name: 'JSON.parse only (no model)',
    encoding: 'json',
    decode: (b) =>
      countSpans(
        JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as Nested,
        'resourceSpans',
        'scopeSpans',
      ),
  },
]

/** In a child: decode on the parent's request, one round at a time. */
function serveCandidate(candidate: Candidate): void {
  const { bodies, spanCount } =
    candidate.encoding === 'protobuf' ? agentTaskRequests(options) : agentTaskJsonRequests(options)
  const bytes = bodies.reduce((n, b) => n + b.length, 0)
  // Every round decodes at least ~20k spans, so a round is long enough to time reliably.
  const repeats = Math.max(1, Math.ceil(20_000 / spanCount))
  const runOnce = (): Round => {
    const cpuStart = process.cpuUsage()
    const start = process.hrtime.bigint()
    let spans = 0
    for (let r = 0; r < repeats; r++) for (const body of bodies) spans += candidate.decode(body)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const cpu = process.cpuUsage(cpuStart)
    if (spans !== spanCount * repeats) throw new Error(`${candidate.name} decoded ${spans} spans, expected ${spanCount * repeats}`)
    return { wall: spans / seconds, cpu: spans / ((cpu.user + cpu.system) / 1e6) }
  }
  // Warm up for a while, not a count of rounds: on a busy machine the optimising compiler runs
  // late, and rounds timed before it finishes would measure unoptimised code.
  const warmUntil = performance.now() + 2_000
  for (let i = 0; i < 3 || performance.now() < warmUntil; i++) runOnce()
  process.on('message', (message) => {
    if (message === 'round') process.send!({ round: runOnce() })
    else process.exit(0)
  })
  process.send!({ ready: { spanCount, bytes } })
}

function request<T>(child: ChildProcess, message: string | undefined, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Record<string, T>) => {
      if (!(key in reply)) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(reply[key])
    }
    const onExit = (code: number | null) => reject(new Error(`benchmark child exited (${code}) before replying`))
    child.on('message', onMessage)
    child.once('exit', onExit)
    if (message !== undefined) child.send(message)
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main(): Promise<void> {
  const sample = agentTaskRequests({ ...options, tasks: 50 })
  const spans = sample.bodies.flatMap((b) =>
    decodeTracesProtobuf(b).request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
  )
  const attributes = spans.reduce((n, s) => n + Object.keys(s.attributes).length, 0) / spans.length
  const events = spans.reduce((n, s) => n + s.events.length, 0) / spans.length

  const script = fileURLToPath(import.meta.url)
  const children: ChildProcess[] = []
  const sizes: { spanCount: number; bytes: number }[] = []
  // One child at a time while fixtures are generated, so they don't compete with each other.
  for (let i = 0; i < candidates.length; i++) {
    const child = fork(script, ['--candidate', String(i), '--tasks', String(options.tasks)], {
      execArgv: process.execArgv,
    })
    children.push(child)
    sizes.push(await request(child, undefined, 'ready'))
  }
  const spanCount = sizes[0].spanCount
  console.log(
    `${spanCount} spans in requests of ${options.spansPerRequest}; ${attributes.toFixed(1)} attributes and ` +
      `${events.toFixed(1)} events per span on average; protobuf ${(sizes[0].bytes / spanCount).toFixed(0)} B/span, ` +
      `JSON ${(sizes[candidates.findIndex((c) => c.encoding === 'json')].bytes / spanCount).toFixed(0)} B/span`,
  )

  const results: Round[][] = candidates.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < candidates.length; i++) results[i].push(await request<Round>(children[i], 'round', 'round'))
  }
  for (const child of children) child.send('exit')

  const format = (n: number) => Math.round(n).toLocaleString('en-US')
  const baseline = median(results[0].map((r) => r.wall))
  console.table(
    candidates.map((c, i) => {
      const wall = median(results[i].map((r) => r.wall))
      return {
        decoder: c.name,
        'spans/s median': format(wall),
        'spans/s best': format(Math.max(...results[i].map((r) => r.wall))),
        'spans/CPU-s median': format(median(results[i].map((r) => r.cpu))),
        'MB/s': ((wall * sizes[i].bytes) / spanCount / 1e6).toFixed(1),
        'privpath protobuf ×': (baseline / wall).toFixed(2),
      }
    }),
  )
  console.log(`${rounds} interleaved rounds, one process per decoder, single thread each, Node ${process.version}`)
}

if (args.candidate === undefined) {
  await main()
} else {
  serveCandidate(candidates[Number(args.candidate)])
}
