/**
 * OTLP ingest throughput of `privpath up` (collector → WAL → pipeline → in-process bus, and with
 * the writer → chDB), over OTLP/HTTP and OTLP/gRPC in the same run (same concurrency, rounds
 * alternating between them), against the decode-only rate of the same bodies measured in the same run.
 *
 * Bodies: realistic agent tasks (testkit/fixtures/agent-tasks.ts) serialised by the OTel protobuf
 * serializer, a fresh set per round (new trace ids). The server is a child `privpath up` started
 * with the Node flags of `npm start` (so it has a core of its own, as in production, and the
 * client here does not share its event loop). A client with bounded concurrency (undici Pool, or
 * as many grpc-js clients, one connection per worker either way) sends each round over loopback,
 * retrying 429/503 (RESOURCE_EXHAUSTED/UNAVAILABLE) after a pause as an OTel exporter would, then
 * waits until the collector's queue is empty (every accepted request published, and with the
 * writer, inserted). Per round:
 *   accepted spans/s   - spans answered 200 / OK (durable in the WAL) per second of sending
 *   processed spans/s  - spans per second until the queue was empty and no span waited for its
 *                        parent (published / stored): the rate the server sustains
 * Right before each round the client decodes that round's bodies (decode-only, median of 3 passes),
 * and each round's ratios are taken against that: this machine's speed drifts by up to 2× within
 * minutes, so a decode-only figure taken once at the start would skew every ratio after it.
 * The first --warmup rounds (JIT, heap sizing) are reported apart; the rest give medians and
 * request latency percentiles of 200 answers, and (on Linux) the server's CPU time per span, on
 * all its threads and on the event loop's thread alone: where the sustained rate is bounded.
 * Each transport gets its line, then the ratio gRPC / HTTP of each round pair (median and range).
 * With `null-sink` among the roles, a bare node:http server that only reads the body
 * (bench/ingest/null-sink.ts) gets each round's HTTP bodies right before every other role set does,
 * and their accepted and processed rates over HTTP are also given as ratios to it.
 * With --against <git ref> (HTTP only), that commit's collector runs beside this tree's and both
 * get the same bodies round by round (bench/ingest/compare.ts): the way to tell a change from the machine's drift.
 * Run: npm run bench:ingest [-- --tasks 3000 --spans-per-request 200 --concurrency 16 --warmup 2 --rounds 6 --roles collector,collector+writer]
 *      npm run bench:ingest -- --roles null-sink,collector+writer+detector+delivery+api --concurrency 8   # the all-in-one
 *      npm run bench:ingest -- --against HEAD~3 --roles collector
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTraces, checkTracesProtobuf } from '../collector/otlp/index.js'
import { encodeRecordParts } from '../collector/wal/record.js'
import { EventBlock } from '../core/store/event-block.js'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'
import { compareAgainst, ratios } from './ingest/compare.js'
import { grpcSenders } from './ingest/grpc.js'
import { decodeRate, fmt, median, NULL_SINK, pct, round, serve, startNullSink, type Round } from './ingest/server.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '3000' },
    'spans-per-request': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '6' },
    roles: { type: 'string', default: 'collector,collector+writer' },
    against: { type: 'string' },
  },
})
const concurrency = Number(args.concurrency)
// An hour ago: spans dated months back would all be clock-skewed, which no live sender's are.
const startSeconds = Math.floor(Date.now() / 1000) - 3600
const { bodies, spanCount } = agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: Number(args['spans-per-request']), tenants: 4, seed: 7, startSeconds })
const spansPerBody = bodies.map((b) => decodeTraces(b, 'protobuf').request.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0))
const totalBytes = bodies.reduce((n, b) => n + b.length, 0)

/** CPU microseconds (user + system, every thread of this process) per span between two cpuUsage() readings. */
const cpuPerSpan = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from)
  return (used.user + used.system) / spanCount
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
  const block = new EventBlock()
  for (let round = 0; round < 3; round++) {
    measure('check', () => bodies.forEach((b) => checkTracesProtobuf(b)))
    const decoded = measure('decode', () => bodies.map((b) => decodeTraces(b, 'protobuf').request))
    measure('wal record', () => bodies.forEach((body, i) => encodeRecordParts(i, { signal: 'traces', format: 'protobuf', tenant: '', body })))
    const mapped = measure('map+redact', () => decoded.map((r) => mapTraceRequest(r, { authTenant: '', observedAt: Date.now() })))
    const correlator = new Correlator({ maxHeldSpans: 1_000_000, maxKnownSpans: 1_000_000 })
    const placed = measure('correlate', () => mapped.flatMap((records) => correlator.add(records, Date.now())))
    // What the writer does per event: one JSONCompactEachRow line, joined into the insert body.
    // What the writer does per event: its row in the batch's Native block, whose buffers it reuses.
    measure('row encode', () => {
      block.reset()
      for (const record of placed) for (const event of record.events) block.add(event)
      return block.finish()
    })
  }
  return Object.entries(runs)
    .map(([name, values]) => `${name} ${values.sort((a, b) => a - b)[1].toFixed(1)}`)
    .join(', ')
}

console.log(`bodies: ${bodies.length} requests, ${fmt(spanCount)} spans (${Math.round(spanCount / bodies.length)}/request, ${(totalBytes / bodies.length / 1024).toFixed(1)} KiB/request), concurrency ${concurrency}`)
if (spansPerBody.reduce((a, b) => a + b, 0) !== spanCount) throw new Error('fixture span count mismatch')
const decodeOnly = decodeRate(bodies, spanCount, 5)
console.log(`decode-only (protobuf → model, median of 5): ${fmt(decodeOnly.rate)} spans/s, ${decodeOnly.cpu.toFixed(1)} CPU µs/span`)
console.log(`CPU µs/span by step (single thread, warm): ${stageCosts()}`)
const warmup = Number(args.warmup)
const rounds = Array.from({ length: warmup + Number(args.rounds) }, (_, i) =>
  i === 0 ? { bodies, spanCount } : agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: Number(args['spans-per-request']), tenants: 4, seed: 7 + i, startSeconds }),
)
/**
 * The gRPC rounds' bodies: as many again, of other seeds. The same bodies sent twice would find
 * their spans' parents already known the second time, and be correlated cheaper; instead each
 * round's two sets go to HTTP and gRPC in turn (swapped every round), so over the run both
 * transports get the same spans.
 */
const otherRounds = rounds.map((_, i) => agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: Number(args['spans-per-request']), tenants: 4, seed: 1_007 + i, startSeconds }))
const root = fileURLToPath(new URL('..', import.meta.url))

/** One transport's line: medians of the warm rounds, warm-up rounds apart, latencies, retries, ratios to decode-only, server CPU. */
function report(label: string, roles: string, results: Round[]): void {
  const cold = results.slice(0, warmup)
  const warm = results.slice(warmup)
  const latencies = warm.flatMap((r) => r.latencies).sort((a, b) => a - b)
  const accepted = median(warm.map((r) => r.accepted))
  const processed = median(warm.map((r) => r.processed))
  console.log(
    `${roles} over ${label} (${roles.includes('writer') ? 'processed = stored in chDB' : 'processed = published on the bus, no store'}): ` +
      `accepted ${fmt(accepted)} spans/s, processed ${fmt(processed)} spans/s (medians of ${warm.length} rounds; ` +
      `warm-up rounds ${cold.map((r) => `${fmt(r.accepted)}/${fmt(r.processed)}`).join(', ')}), ` +
      `p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, retries after refusals ${warm.reduce((n, r) => n + r.retries, 0)}, ` +
      `ratio to decode-only measured just before each round (median of rounds): ` +
      `accepted ${median(warm.map((r) => r.accepted / r.decodeOnly)).toFixed(2)}, processed ${median(warm.map((r) => r.processed / r.decodeOnly)).toFixed(2)} ` +
      `(decode-only ${fmt(Math.min(...warm.map((r) => r.decodeOnly)))}–${fmt(Math.max(...warm.map((r) => r.decodeOnly)))} spans/s across rounds)`,
  )
  const cpus = warm.flatMap((r) => (r.cpu ? [r.cpu] : []))
  if (cpus.length > 0) {
    // The event loop's thread is the limit when its share nears 1e6 / (spans/s) µs per span.
    console.log(
      `  server CPU per span (median of ${cpus.length} rounds): ${median(cpus.map((c) => c.all)).toFixed(1)} µs on all threads, ` +
        `${median(cpus.map((c) => c.main)).toFixed(1)} µs on the event loop's thread (50k spans/s allows 20)`,
    )
  }
}

// With `null-sink` among the roles, every HTTP round of each other role set goes to the null sink just before, the same bodies.
const nullSink = args.roles.split(',').includes(NULL_SINK) ? await startNullSink(root, concurrency) : undefined
for (const roles of args.roles.split(',')) {
  if (roles === NULL_SINK) continue
  if (args.against !== undefined) {
    await compareAgainst({ root, ref: args.against, roles, concurrency, warmup, rounds })
    continue
  }
  await serve(root, roles.replaceAll('+', ','), concurrency, async (server) => {
    if (server.grpcPort === undefined) throw new Error('privpath started without its OTLP/gRPC receiver')
    const grpc = grpcSenders(server.grpcPort, concurrency)
    const overHttp: Round[] = []
    const overGrpc: Round[] = []
    const sinks: Round[] = []
    try {
      for (const [i, sets] of rounds.map((r, i) => (i % 2 === 0 ? [r, otherRounds[i]] : [otherRounds[i], r])).entries()) {
        const http = async () => {
          if (nullSink) sinks.push(await round(nullSink, sets[0].bodies, sets[0].spanCount, concurrency))
          return round(server, sets[0].bodies, sets[0].spanCount, concurrency)
        }
        const viaGrpc = () => round(server, sets[1].bodies, sets[1].spanCount, concurrency, grpc.send)
        // Alternating which goes first: the machine's drift and a backlog's after-effects fall on both.
        if (i % 2 === 0) {
          overHttp.push(await http())
          overGrpc.push(await viaGrpc())
        } else {
          overGrpc.push(await viaGrpc())
          overHttp.push(await http())
        }
      }
    } finally {
      grpc.close()
    }
    report('OTLP/HTTP', roles, overHttp)
    if (nullSink) {
      const sink = sinks.slice(warmup)
      const toSink = (pick: (r: Round) => number) => {
        const values = overHttp.slice(warmup).map((r, i) => pick(r) / sink[i].accepted)
        return `${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`
      }
      console.log(
        `  null sink ${fmt(median(sink.map((r) => r.accepted)))} spans/s on the same bodies just before each round; ` +
          `ratio to it, median (range) of rounds: accepted ${toSink((r) => r.accepted)}, processed ${toSink((r) => r.processed)}`,
      )
    }
    report('OTLP/gRPC', roles, overGrpc)
    const [h, g] = [overHttp.slice(warmup), overGrpc.slice(warmup)]
    console.log(
      `  ${roles}, gRPC / HTTP, same concurrency (${concurrency}), median (range) of per-round ratios: ` +
        `accepted ${ratios(g, h, (r) => r.accepted)}, processed ${ratios(g, h, (r) => r.processed)}, ` +
        `server CPU per span on the event loop ${ratios(g, h, (r) => r.cpu?.main)}, all threads ${ratios(g, h, (r) => r.cpu?.all)}`,
    )
  })
}
await nullSink?.close()
