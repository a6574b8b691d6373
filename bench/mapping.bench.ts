/**
 * Collector mapping, correlation and redaction throughput, measured side by side in one run:
 * mapping with content capture on vs off (the cost of redacting content), correlation of whole
 * traces in one batch vs children a batch before their parents (the held path), and redaction of
 * clean prose vs prose with secrets. Also the realistic agent-task bodies of the ingest benchmark
 * (testkit/fixtures/agent-tasks.ts), a fresh set per run decoded just before it, mapped as the ingest path maps them.
 * Each figure is the median of 5 timed runs after a warm-up run, as items per second of wall
 * time and CPU µs per item (user + system of this process: less sensitive to a busy machine).
 *
 *   npm run bench:mapping           # with the young-generation size of `npm start`; 20k spans (BENCH_SPANS to change), 3000 agent tasks (BENCH_TASKS)
 */
import { Correlator } from '../collector/correlate/index.js'
import { span, traceRequest } from '../testkit/otlp-builders.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTraces, type Attributes, type Span } from '../collector/otlp/index.js'
import { redactText } from '../collector/redact/index.js'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'

const SPANS = Number(process.env.BENCH_SPANS ?? 20_000)
const SPANS_PER_TRACE = 10
const PROSE = 'Please look up order 12345 for customer jane@example.com and refund it per policy 7. '.repeat(6)
const SECRETS = `${PROSE} token ghp_16C7e42F292c6912E7710c838347Ae178B4a and password=hunter2 key AKIAIOSFODNN7EXAMPLE`

function traceSpans(): Span[] {
  const spans: Span[] = []
  for (let i = 0; i < SPANS; i++) {
    const trace = Math.floor(i / SPANS_PER_TRACE)
    const traceId = trace.toString(16).padStart(32, '0')
    const root = i % SPANS_PER_TRACE === 0
    const attributes: Attributes = root
      ? { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'planner', 'agent.task.id': `task-${trace}` }
      : i % 3 === 0
        ? { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: PROSE }] }]), 'gen_ai.request.model': 'gpt-4o' }
        : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'db.query', 'gen_ai.tool.call.arguments': '{"sql":"select * from orders where id = 12345"}', 'server.address': 'db.internal' }
    spans.push(span({ traceId, spanId: i.toString(16).padStart(16, '0'), parentSpanId: root ? '' : (i - (i % SPANS_PER_TRACE)).toString(16).padStart(16, '0'), attributes }))
  }
  return spans
}

const ROUNDS = 5

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]

function report(label: string, perSecond: number, cpuMicros: number): number {
  console.log(`${label.padEnd(46)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s ${cpuMicros.toFixed(1).padStart(8)} CPU µs each`)
  return perSecond
}

/** Times `run` ROUNDS times after a warm-up run; `prepare` (untimed) builds each run's input of `count` items. */
function rate<T>(label: string, count: number | ((input: T) => number), prepare: () => T, run: (input: T) => void): number {
  const itemsIn = (input: T): number => (typeof count === 'number' ? count : count(input))
  run(prepare())
  const rates: number[] = []
  const cpus: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const input = prepare()
    const cpu = process.cpuUsage()
    const start = performance.now()
    run(input)
    rates.push(itemsIn(input) / ((performance.now() - start) / 1000))
    const used = process.cpuUsage(cpu)
    cpus.push((used.user + used.system) / itemsIn(input))
  }
  return report(label, median(rates), median(cpus))
}

const spans = traceSpans()
const request = traceRequest(spans, { 'service.name': 'bench-agent', 'tenant.id': 'acme' })

console.log(`${SPANS} spans, ${SPANS / SPANS_PER_TRACE} traces`)
const none = (): undefined => undefined
const captureOn = rate('map, content capture on', SPANS, none, () => mapTraceRequest(request, { authTenant: 'acme' }))
const captureOff = rate('map, content capture off', SPANS, none, () => mapTraceRequest(request, { authTenant: 'acme', captureContent: false }))
console.log(`  capture on / off: ${(captureOn / captureOff).toFixed(2)}`)

// A fresh set of tasks (other ids and values) per run, decoded just before it (untimed), as a running
// collector maps each request once: mapping the same set again would find every short value already
// known clean to redaction, and holding every set decoded would make the heap, not mapping, the cost.
const TASK_SETS = ROUNDS + 1
const taskSets = Array.from({ length: TASK_SETS }, (_, set) =>
  agentTaskRequests({ tasks: Number(process.env.BENCH_TASKS ?? 3000), spansPerRequest: 200, tenants: 4, seed: 7 + set }),
)
let nextSet = 0
const decodeNextSet = () => {
  const { bodies, spanCount } = taskSets[nextSet++ % TASK_SETS]
  return { spanCount, requests: bodies.map((body) => decodeTraces(body, 'protobuf').request) }
}
rate(`map, agent tasks (~${taskSets[0].spanCount} spans, fresh set each run)`, (set) => set.spanCount, decodeNextSet, (set) => {
  for (const taskRequest of set.requests) mapTraceRequest(taskRequest, { authTenant: '', observedAt: Date.now() })
})

const correlator = () => new Correlator({ maxHeldSpans: SPANS, maxKnownSpans: SPANS * 2 })
const inBatch = rate('correlate, whole traces in one batch', SPANS, () => mapTraceRequest(request), (records) => {
  correlator().add(records, 0)
})
const roots = traceRequest(spans.filter((s) => s.parentSpanId === ''))
const children = traceRequest(spans.filter((s) => s.parentSpanId !== ''))
const split = rate(
  'correlate, children one batch before parents',
  SPANS,
  () => [mapTraceRequest(children), mapTraceRequest(roots)],
  ([early, late]) => {
    const c = correlator()
    c.add(early, 0)
    c.add(late, 1)
  },
)
console.log(`  in-batch / held: ${(inBatch / split).toFixed(2)}`)

const clean = rate(`redactText, ${PROSE.length}-char prose`, 20_000, none, () => {
  for (let i = 0; i < 20_000; i++) redactText(PROSE)
})
const dirty = rate(`redactText, same prose + 3 secrets`, 20_000, none, () => {
  for (let i = 0; i < 20_000; i++) redactText(SECRETS)
})
console.log(`  clean / with secrets: ${(clean / dirty).toFixed(2)}`)
