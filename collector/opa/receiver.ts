/** The OPA decision-log route, `POST /v1/opa/logs` (see index.ts). */
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { Authenticator, Caller } from '../../core/auth.js'
import { PrivpathError } from '../../core/errors.js'
import { httpErrors } from '../../core/http-errors.js'
import { resolveTenant } from '../mapping/index.js'
import { claimBeforeReading, drainBounds, formatOf, type IngestSink, readClaimedBody } from '../receiver/index.js'
import { encodeBatch, type BatchDecision, type OpaBatch } from './batch.js'
import { readUpload, type ReadDecision } from './decisions.js'
import { joinOf, type PlacementLookup, type TraceFacts } from './joins.js'
import { opaLogsDocs, opaLogsSchema } from './openapi.js'
import { type Verdict, verdictReader } from './verdict.js'

/** OPA posts to `<service url>/logs`: a service at `http://<host>:4318/v1/opa` lands here. */
export const OPA_LOGS_ROUTE = '/v1/opa/logs'

/** The trace's spans are looked up from this long before its earliest decision (partition pruning). */
const LOOKUP_BEFORE_MS = 24 * 60 * 60_000

export interface OpaReceiverOptions {
  sink: IngestSink<OpaBatch>
  auth: Authenticator
  registry: Registry
  maxBodyBytes: number
  /** collector.opa_result_expression ('' reads a boolean result or result.allow). */
  resultExpression: string
  /** The store's spans, when this process has the store; without it the correlator alone places decisions. */
  placements?: PlacementLookup
}

export function opaReceiver(options: OpaReceiverOptions) {
  const registers = [options.registry]
  const uploads = new Counter({
    name: 'privpath_collector_opa_uploads_total',
    help: 'OPA decision-log uploads by response status',
    labelNames: ['status'],
    registers,
  })
  const decisions = new Counter({
    name: 'privpath_collector_opa_decisions_total',
    help: 'OPA decisions accepted, by verdict and by how they joined the telemetry (tool_call, span, trace, or left to the correlator)',
    labelNames: ['verdict', 'join'],
    registers,
  })
  const failures = new Counter({
    name: 'privpath_collector_opa_failures_total',
    help: 'Decisions whose result expression failed (no verdict), and uploads whose store look-up failed (placed by the correlator)',
    labelNames: ['stage'],
    registers,
  })
  const readVerdict = verdictReader(options.resultExpression)
  const limits = { maxBodyBytes: options.maxBodyBytes, drain: drainBounds(options.maxBodyBytes) }
  const callers = new WeakMap<FastifyRequest, Caller>()

  async function verdictOf(read: ReadDecision, log: FastifyBaseLogger): Promise<Verdict> {
    try {
      return await readVerdict(read.raw)
    } catch (error) {
      failures.inc({ stage: 'result_expression' })
      log.warn({ err: error, decision_id: read.decision.decision_id }, 'collector.opa_result_expression failed on a decision; it has no verdict')
      return ''
    }
  }

  async function tracesOf(read: ReadDecision[], authTenant: string, log: FastifyBaseLogger): Promise<Map<string, TraceFacts>> {
    const traceIds = [...new Set(read.map((r) => r.decision.trace_id).filter((id) => id !== ''))]
    if (options.placements === undefined || traceIds.length === 0) return new Map()
    let earliest = Number.POSITIVE_INFINITY
    for (const r of read) earliest = Math.min(earliest, Number(BigInt(r.decision.time_unix_nano) / 1_000_000n))
    try {
      return await options.placements(resolveTenant(authTenant, '').domain, traceIds, earliest - LOOKUP_BEFORE_MS)
    } catch (error) {
      failures.inc({ stage: 'store_lookup' })
      log.warn({ err: error }, 'OPA decisions: the store look-up failed; the correlator places them by their span and trace')
      return new Map()
    }
  }

  /** Verdicts and joins, decided once here so the durable batch replays as it was acknowledged. */
  async function settle(read: ReadDecision[], authTenant: string, log: FastifyBaseLogger): Promise<OpaBatch> {
    const [verdicts, traces] = await Promise.all([Promise.all(read.map((r) => verdictOf(r, log))), tracesOf(read, authTenant, log)])
    const settled: BatchDecision[] = read.map(({ decision }, i) => ({
      ...decision,
      verdict: verdicts[i],
      join: joinOf(traces.get(decision.trace_id), decision.span_id),
    }))
    return { opa_decisions: settled }
  }

  return async function receiver(app: FastifyInstance): Promise<void> {
    // The handler reads the body itself: the limits, the queue claim and the content encoding.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_request, _payload, done) => done(null))
    app.addHook('onRequest', async (request) => {
      callers.set(request, options.auth.authenticate(request.headers.authorization))
    })
    httpErrors(app, { what: 'OPA decision log upload', drainsRefusedBodies: true })
    app.addHook('onResponse', async (_request, reply) => {
      uploads.inc({ status: String(reply.statusCode) })
    })

    app.post(OPA_LOGS_ROUTE, { schema: opaLogsSchema(), config: { swaggerTransform: opaLogsDocs() } }, async (request, reply) => {
      const contentType = request.headers['content-type']
      if (formatOf(contentType) !== 'json') {
        throw new PrivpathError(
          'PP_ERR_UNSUPPORTED_MEDIA_TYPE',
          `unsupported Content-Type ${contentType ? `"${contentType}"` : '(none)'}: OPA decision logs are application/json`,
        )
      }
      const authTenant = callers.get(request)?.tenant ?? ''
      const claim = claimBeforeReading(request, reply, options.sink, limits)
      let batch: OpaBatch
      let body: Buffer
      try {
        batch = await settle(readUpload(await readClaimedBody(request, reply, claim.grow, limits)), authTenant, request.log)
        body = encodeBatch(batch)
        claim.resize(body.length)
      } catch (error) {
        claim.release()
        throw error
      }
      const count = batch.opa_decisions.length
      if (count === 0) {
        claim.release()
        return reply.code(200).send({ accepted: 0 })
      }
      let lsn: number
      try {
        lsn = await options.sink.append({ signal: 'opa', format: 'json', tenant: authTenant, body }, batch)
      } catch (error) {
        claim.release()
        request.log.error({ err: error }, 'write-ahead log append failed')
        throw new PrivpathError('PP_ERR_UNAVAILABLE', `cannot make the upload durable: ${(error as Error).message}`, { cause: error, retryAfterSeconds: 5 })
      }
      options.sink.accept({ lsn, signal: 'opa', authTenant, bytes: claim.bytes, request: batch })
      for (const d of batch.opa_decisions) decisions.inc({ verdict: d.verdict || 'none', join: d.join?.via ?? 'correlator' })
      return reply.code(200).send({ accepted: count })
    })
  }
}
