/**
 * Decode-only throughput of OTLP trace export bodies: privpath's protobuf decoder against
 * protobufjs reflection decoding of the same bytes, and against privpath's OTLP/JSON decoder (and
 * bare JSON.parse) on the same spans. Rounds are interleaved so machine noise hits every decoder
 * alike; the table reports the median round. Run: npm run bench:decode [-- --tasks N --rounds N]
 */
import { parseArgs } from 'node:util'

import { decodeTracesJson } from '../collector/otlp/json-traces.js'
import { decodeTracesProtobuf } from '../collector/otlp/protobuf-traces.js'
import type { DecodedTraces } from '../collector/otlp/model.js'
import { agentTaskJsonRequests, agentTaskRequests } from './fixtures/agent-tasks.js'
import { otlpProtoRoot } from './fixtures/otlp-proto.js'

const { values: args } = parseArgs({
  options: { tasks: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '9' } },
})
const options = { tasks: Number(args.tasks), spansPerRequest: 200, tenants: 4, seed: 1 }
const rounds = Number(args.rounds)

const protobufBodies = agentTaskRequests(options)
const jsonBodies = agentTaskJsonRequests(options)
const spanCount = protobufBodies.spanCount
const RequestType = otlpProtoRoot().lookupType('otlp.ExportTraceServiceRequest')

function spansIn(decoded: DecodedTraces): number {
  let n = 0
  for (const rs of decoded.request.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length
  return n
}

interface Candidate {
  name: string
  bodies: Uint8Array[]
  /** Decodes one body and returns the spans it found, so nothing is optimised away. */
  decode: (body: Uint8Array) => number
}

const candidates: Candidate[] = [
  { name: 'privpath protobuf → model', bodies: protobufBodies.bodies, decode: (b) => spansIn(decodeTracesProtobuf(b)) },
  {
    name: 'protobufjs reflection decode (Long times, byte ids, no model)',
    bodies: protobufBodies.bodies,
    decode: (b) => {
      const message = RequestType.decode(b) as unknown as { resource_spans: { scope_spans: { spans: unknown[] }[] }[] }
      let n = 0
      for (const rs of message.resource_spans) for (const ss of rs.scope_spans) n += ss.spans.length
      return n
    },
  },
  { name: 'privpath OTLP/JSON → model', bodies: jsonBodies.bodies, decode: (b) => spansIn(decodeTracesJson(b)) },
  {
    name: 'JSON.parse only (no model)',
    bodies: jsonBodies.bodies,
    decode: (b) => {
      const parsed = JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: unknown[] }[] }[]
      }
      let n = 0
      for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length
      return n
    },
  },
]

/** Spans per wall-clock second and per CPU second of this process (steadier on a busy machine). */
function runOnce(candidate: Candidate): { wall: number; cpu: number } {
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  let spans = 0
  for (const body of candidate.bodies) spans += candidate.decode(body)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(cpuStart)
  if (spans !== spanCount) throw new Error(`${candidate.name} decoded ${spans} spans, expected ${spanCount}`)
  return { wall: spans / seconds, cpu: spans / ((cpu.user + cpu.system) / 1e6) }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const sample = decodeTracesProtobuf(protobufBodies.bodies[0]).request.resourceSpans.flatMap((rs) =>
  rs.scopeSpans.flatMap((ss) => ss.spans),
)
const attributes = sample.reduce((n, s) => n + Object.keys(s.attributes).length, 0) / sample.length
const events = sample.reduce((n, s) => n + s.events.length, 0) / sample.length
const bytes = (bodies: Uint8Array[]) => bodies.reduce((n, b) => n + b.length, 0)
console.log(
  `${spanCount} spans in ${protobufBodies.bodies.length} requests (${options.spansPerRequest} spans each); ` +
    `${attributes.toFixed(1)} attributes and ${events.toFixed(1)} events per span on average; ` +
    `protobuf ${(bytes(protobufBodies.bodies) / spanCount).toFixed(0)} B/span, JSON ${(bytes(jsonBodies.bodies) / spanCount).toFixed(0)} B/span`,
)

for (const candidate of candidates) runOnce(candidate) // warm-up: let the JIT settle
const results = new Map<string, { wall: number; cpu: number }[]>(candidates.map((c) => [c.name, []]))
for (let round = 0; round < rounds; round++) {
  for (const candidate of candidates) results.get(candidate.name)!.push(runOnce(candidate))
}

const format = (n: number) => Math.round(n).toLocaleString('en-US')
const baseline = median(results.get(candidates[0].name)!.map((r) => r.wall))
const rows = candidates.map((c) => {
  const all = results.get(c.name)!
  const wall = median(all.map((r) => r.wall))
  return {
    decoder: c.name,
    'spans/s median': format(wall),
    'spans/s best': format(Math.max(...all.map((r) => r.wall))),
    'spans/CPU-s median': format(median(all.map((r) => r.cpu))),
    'MB/s': ((wall * bytes(c.bodies)) / spanCount / 1e6).toFixed(1),
    'privpath protobuf ×': (baseline / wall).toFixed(2),
  }
})
console.table(rows)
console.log(`${rounds} interleaved rounds, single thread, Node ${process.version}`)
