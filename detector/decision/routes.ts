/**
 * The decision endpoint over HTTP, in the OpenID AuthZEN Authorization API 1.0 shape:
 * `POST /access/v1/evaluation`, `POST /access/v1/evaluations` (batch, with the spec's defaults and
 * evaluation semantics) and the discovery document `/.well-known/authzen-configuration`. The tenant
 * comes from the key, as for ingest. Errors are HTTP statuses with `{ code, message }` naming the
 * field; a denial is a 200 with `decision: false` (§10: the outcome of a decision is never an error).
 * An `X-Request-ID` is echoed back.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Counter, Histogram, type Registry } from 'prom-client'
import Type from 'typebox'
import type { Authenticator, Caller } from '../../core/auth.js'
import { PrivpathError } from '../../core/errors.js'
import { errorReply, httpErrors } from '../../core/http-errors.js'
import { strictValidation } from '../../core/http-validation.js'
import {
  EvaluationRequest,
  EvaluationResponse,
  EvaluationsRequest,
  EvaluationsResponse,
  missingPart,
  withDefaults,
} from './authzen.js'
import type { Decided, Decider } from './decide.js'

export interface DecisionRoutesOptions {
  decider: Decider
  auth: Authenticator
  registry: Registry
  maxEvaluations: number
  /** Base URL for the discovery document ('' = from the request's Host). */
  publicUrl: string
}

const TAGS = ['decision']
const DISCOVERY = '/.well-known/authzen-configuration'
/** A tool call's arguments may carry a document; a batch, several (fastify's default is 1 MiB). */
const BODY_LIMIT = 16 * 1024 * 1024
const ERRORS = {
  400: errorReply('The request is not an AuthZEN evaluation request (PP_ERR_BAD_REQUEST); the message names the field'),
  401: errorReply('Tenant keys are configured and the request has none, or an unknown one (PP_ERR_UNAUTHORIZED)'),
  500: errorReply('An unexpected failure (PP_ERR_INTERNAL); details in the server log'),
}

function metrics(registry: Registry) {
  const registers = [registry]
  const existing = registry.getSingleMetric('privpath_decisions_total') as Counter<'decision' | 'verdict' | 'mode' | 'stale'> | undefined
  return {
    decisions: existing ?? new Counter({
      name: 'privpath_decisions_total', help: 'Decisions answered, by answer, verdict (before the mode), mode and staleness',
      labelNames: ['decision', 'verdict', 'mode', 'stale'], registers,
    }),
    seconds: (registry.getSingleMetric('privpath_decision_duration_seconds') as Histogram<string> | undefined) ?? new Histogram({
      name: 'privpath_decision_duration_seconds', help: 'Time to answer one evaluation, the freshness wait included',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers,
    }),
  }
}

export function decisionRoutes(options: DecisionRoutesOptions) {
  const callers = new WeakMap<FastifyRequest, Caller>()
  const { decisions, seconds } = metrics(options.registry)
  const decide = async (request: EvaluationRequest, caller: Caller): Promise<Decided> => {
    const stop = seconds.startTimer()
    const decided = await options.decider.decide(request, caller)
    stop()
    const { decision, context } = decided.response
    decisions.inc({ decision: String(decision), verdict: context.reason_admin.verdict, mode: context.mode, stale: String(context.reason_admin.stale) })
    return decided
  }

  return async function routes(base: FastifyInstance): Promise<void> {
    await base.register(async (scoped) => {
      httpErrors(scoped, { what: 'decision request' })
      strictValidation(scoped)
      const app = scoped.withTypeProvider<TypeBoxTypeProvider>()
      app.addHook('onRequest', async (request, reply) => {
        const id = request.headers['x-request-id']
        if (typeof id === 'string' && id !== '') reply.header('x-request-id', id)
        // discovery names public endpoints; it answers without a key
        if (request.routeOptions.url === DISCOVERY) return
        callers.set(request, options.auth.authenticate(request.headers.authorization))
      })
      const callerOf = (request: FastifyRequest): Caller => callers.get(request) ?? { tenant: '', authenticated: false }

      app.post(
        '/access/v1/evaluation',
        {
          bodyLimit: BODY_LIMIT,
          schema: {
            summary: 'Decide one proposed tool call before it runs (AuthZEN Access Evaluation)',
            tags: TAGS,
            body: EvaluationRequest,
            response: { 200: EvaluationResponse, ...ERRORS },
          },
        },
        async (request) => (await decide(request.body, callerOf(request))).response,
      )

      app.post(
        '/access/v1/evaluations',
        {
          bodyLimit: BODY_LIMIT,
          schema: {
            summary: 'Decide several proposed calls in one request (AuthZEN Access Evaluations)',
            tags: TAGS,
            body: EvaluationsRequest,
            response: { 200: Type.Union([EvaluationsResponse, EvaluationResponse]), ...ERRORS },
          },
        },
        async (request) => {
          const body = request.body
          const caller = callerOf(request)
          const items = body.evaluations ?? []
          if (items.length === 0) {
            // §7.1: without evaluations it is one evaluation, answered as one
            const single = { subject: body.subject, action: body.action, resource: body.resource, context: body.context }
            const missing = missingPart(single)
            if (missing !== undefined) throw new PrivpathError('PP_ERR_BAD_REQUEST', `body/${missing}: required when evaluations is absent or empty`)
            return (await decide(single as EvaluationRequest, caller)).response
          }
          if (items.length > options.maxEvaluations) {
            throw new PrivpathError('PP_ERR_BAD_REQUEST', `body/evaluations: at most ${options.maxEvaluations} evaluations per request (decision.max_evaluations), got ${items.length}`)
          }
          const semantic = body.options?.evaluations_semantic ?? 'execute_all'
          const evaluate = async (index: number) => {
            const merged = withDefaults(body, items[index])
            const missing = missingPart(merged)
            if (missing !== undefined) {
              return { decision: false as const, context: { error: { status: 400, message: `evaluations/${index}/${missing}: required (no request-level default)` } } }
            }
            return (await decide(merged as EvaluationRequest, caller)).response
          }
          if (semantic === 'execute_all') return { evaluations: await Promise.all(items.map((_, i) => evaluate(i))) }
          // the short-circuit semantics answer in order and stop at the first deny / permit
          const stopOn = semantic === 'deny_on_first_deny' ? false : true
          const evaluations = []
          for (let i = 0; i < items.length; i++) {
            const answer = await evaluate(i)
            evaluations.push(answer)
            if (answer.decision === stopOn) break
          }
          return { evaluations }
        },
      )

      app.get(
        DISCOVERY,
        {
          schema: {
            summary: 'AuthZEN discovery: where the evaluation endpoints are',
            tags: TAGS,
            response: {
              200: Type.Object({
                policy_decision_point: Type.String(),
                access_evaluation_endpoint: Type.String(),
                access_evaluations_endpoint: Type.String(),
              }),
            },
          },
        },
        async (request) => {
          const base = options.publicUrl !== '' ? options.publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`
          return {
            policy_decision_point: base,
            access_evaluation_endpoint: `${base}/access/v1/evaluation`,
            access_evaluations_endpoint: `${base}/access/v1/evaluations`,
          }
        },
      )
    })
  }
}
