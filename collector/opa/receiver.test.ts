import Fastify, { type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../core/auth.js'
import { PrivpathError } from '../../core/errors.js'
import { opaDecision, opaHeaders, opaUpload } from '../../testkit/opa.js'
import type { AcceptedExport, IngestSink } from '../receiver/receiver.js'
import type { WalEntry } from '../wal/index.js'
import type { OpaBatch } from './batch.js'
import type { PlacementLookup, TraceFacts } from './joins.js'
import { OPA_LOGS_ROUTE, opaReceiver, type OpaReceiverOptions } from './receiver.js'

interface FakeSink extends IngestSink<OpaBatch> {
  appended: WalEntry[]
  accepted: Array<AcceptedExport<OpaBatch>>
  /** Bytes claimed and not given back. */
  held: number
  full: boolean
  failAppend: boolean
}

function fakeSink(): FakeSink {
  const sink: FakeSink = {
    appended: [] as WalEntry[],
    accepted: [] as Array<AcceptedExport<OpaBatch>>,
    held: 0,
    full: false,
    failAppend: false,
    reserve(bytes: number) {
      if (sink.full) throw new PrivpathError('PP_ERR_QUEUE_FULL', 'collector queue is full', { retryAfterSeconds: 2 })
      sink.held += bytes
    },
    resize(from: number, to: number) {
      sink.held += to - from
    },
    release(bytes: number) {
      sink.held -= bytes
    },
    async append(entry: WalEntry) {
      if (sink.failAppend) throw new Error('disk full')
      sink.appended.push(entry)
      return sink.appended.length
    },
    accept(item: AcceptedExport<OpaBatch>) {
      sink.accepted.push(item)
      sink.held -= item.bytes
    },
  }
  return sink
}

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function serve(options: Partial<OpaReceiverOptions> = {}) {
  const sink = fakeSink()
  const registry = new Registry()
  const app = Fastify()
  apps.push(app)
  await app.register(
    opaReceiver({
      sink,
      auth: createAuthenticator({ tenant_keys: ['acme:acme-key'], tenant_keys_file: '' }),
      registry,
      maxBodyBytes: 1024 * 1024,
      resultExpression: '',
      ...options,
    }),
  )
  const upload = (decisions: Array<Record<string, unknown>>, headers = opaHeaders('acme-key')) =>
    app.inject({ method: 'POST', url: OPA_LOGS_ROUTE, headers, payload: opaUpload(decisions) })
  const metric = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0
  return { app, sink, upload, metric }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

describe('POST /v1/opa/logs', () => {
  it('makes the settled batch durable under the key tenant before answering 200', async () => {
    const lookups: Array<[string, readonly string[], number]> = []
    const trace: TraceFacts = new Map([['00f067aa0ba902b7', { parent: '', task: 'task-1', tenant: 'acme', agent: 'planner', agentName: '', tool: 'db.drop_table', toolTs: 5, toolCalls: 1, target: '', firstTs: 5 }]])
    const placements: PlacementLookup = async (domain, traceIds, since) => {
      lookups.push([domain, traceIds, since])
      return new Map([[TRACE, trace]])
    }
    const { sink, upload, metric } = await serve({ placements })
    const res = await upload([opaDecision(), opaDecision({ decision_id: 'd-2', result: { allow: true } }), opaDecision({ decision_id: 'd-3', trace_id: undefined, result: 'maybe' })])
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ accepted: 3 })
    expect(lookups).toEqual([['acme', [TRACE], Date.parse('2026-12-07T10:04:05.123Z') - 86_400_000]])
    expect(sink.appended).toHaveLength(1)
    expect(sink.appended[0]).toMatchObject({ signal: 'opa', format: 'json', tenant: 'acme' })
    const batch = JSON.parse(Buffer.from(sink.appended[0].body).toString()) as OpaBatch
    expect(batch.opa_decisions.map((d) => [d.decision_id, d.verdict, d.join?.via ?? null])).toEqual([
      ['0a7e1c1b-6f1e-4d1a-9a55-7e1a3e6d2b41', 'deny', 'tool_call'],
      ['d-2', 'allow', 'tool_call'],
      ['d-3', '', null],
    ])
    expect(sink.accepted).toEqual([expect.objectContaining({ lsn: 1, signal: 'opa', authTenant: 'acme', request: batch })])
    expect(sink.held).toBe(0)
    expect(await metric('privpath_collector_opa_decisions_total', { verdict: 'deny', join: 'tool_call' })).toBe(1)
    expect(await metric('privpath_collector_opa_decisions_total', { verdict: 'none', join: 'correlator' })).toBe(1)
    expect(await metric('privpath_collector_opa_uploads_total', { status: '200' })).toBe(1)
  })

  it('answers an empty upload without making anything durable', async () => {
    const { sink, upload } = await serve()
    const res = await upload([])
    expect([res.statusCode, res.json()]).toEqual([200, { accepted: 0 }])
    expect(sink.appended).toEqual([])
    expect(sink.held).toBe(0)
  })

  it('leaves the decisions to the correlator when the store look-up fails, and counts it', async () => {
    const { sink, upload, metric } = await serve({ placements: async () => Promise.reject(new Error('store down')) })
    expect((await upload([opaDecision()])).statusCode).toBe(200)
    expect(sink.accepted[0]).toMatchObject({ request: { opa_decisions: [{ verdict: 'deny', join: null }] } })
    expect(await metric('privpath_collector_opa_failures_total', { stage: 'store_lookup' })).toBe(1)
  })

  it('gives no verdict where collector.opa_result_expression fails, and counts it', async () => {
    const { sink, upload, metric } = await serve({ resultExpression: 'result.decision = "permit" ? "allow" : $error("unreadable")' })
    expect((await upload([opaDecision({ result: { decision: 'permit' } }), opaDecision({ decision_id: 'd-2', result: { decision: 'x' } })])).statusCode).toBe(200)
    const [{ request }] = sink.accepted as Array<{ request: OpaBatch }>
    expect(request.opa_decisions.map((d) => d.verdict)).toEqual(['allow', ''])
    expect(await metric('privpath_collector_opa_failures_total', { stage: 'result_expression' })).toBe(1)
  })

  it('keeps nothing of an upload it refuses, and gives its queue claim back', async () => {
    const { sink, upload } = await serve()
    const malformed = await upload([opaDecision(), opaDecision({ decision_id: '' })])
    expect([malformed.statusCode, malformed.json()]).toEqual([400, { code: 'PP_ERR_DECODE', message: 'OPA decision log: [1].decision_id: required, empty' }])
    expect((await upload([opaDecision()], opaHeaders())).statusCode).toBe(401)
    expect((await upload([opaDecision()], { ...opaHeaders('acme-key'), 'content-type': 'application/x-protobuf' })).statusCode).toBe(415)
    sink.failAppend = true
    const unavailable = await upload([opaDecision()])
    expect([unavailable.statusCode, unavailable.headers['retry-after'], unavailable.json().code]).toEqual([503, '5', 'PP_ERR_UNAVAILABLE'])
    sink.failAppend = false
    sink.full = true
    const full = await upload([opaDecision()])
    expect([full.statusCode, full.headers['retry-after'], full.json().code]).toEqual([429, '2', 'PP_ERR_QUEUE_FULL'])
    expect(sink.accepted).toEqual([])
    expect(sink.held).toBe(0)
  })
})
