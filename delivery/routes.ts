/**
 * Delivery status over HTTP, as a fastify plugin the delivery role serves:
 * `GET /api/deliveries[?sink=][&limit=]` — per-sink counters, pending entries, dead letters;
 * `POST /api/deliveries/redeliver` `{ sink?, id? }` — dead letters back to their outboxes.
 * Both are operator actions over every tenant's alerts: when tenant keys are configured only an
 * admin key (tenant `*`) may call them. Errors are answered like every other privpath endpoint.
 */
import type { FastifyPluginAsync } from 'fastify'
import Type, { type Static } from 'typebox'
import { ADMIN_TENANT, type Authenticator } from '../core/auth.js'
import { PrivpathError } from '../core/errors.js'
import { errorReply, httpErrors } from '../core/http-errors.js'
import { strictValidation } from '../core/http-validation.js'
import type { DeliveryControl } from './service.js'
import type { OutboxEntry } from './outbox/entry.js'

const Str = Type.String()
const Count = Type.Integer({ minimum: 0 })
const Time = (description: string) => Type.Number({ description: `${description} (epoch ms)` })

const EntrySummarySchema = Type.Object({
  id: Type.String({ description: 'The alert or digest id' }),
  sink: Str,
  kind: Type.Enum(['alert', 'digest']),
  rule_id: Type.String({ description: "'' for a digest" }),
  severity: Type.String({ description: "'' for a digest" }),
  tenant_id: Type.String({ description: "'' for a digest" }),
  version: Type.Integer({ description: 'The alert count (1 for a digest)' }),
  attempts: Count,
  coalesced: Type.Integer({ minimum: 0, description: 'Older versions this entry replaced before they were delivered' }),
  routes: Type.Array(Type.String(), { description: 'Routes that sent it to this sink' }),
  enqueued_at: Time('Queued at'),
  next_attempt_at: Time('Next attempt due at'),
  last_error: Str,
  dead_at: Time('Dead-lettered at, 0 while pending'),
})
type EntrySummary = Static<typeof EntrySummarySchema>

const Entries = (description: string) => Type.Object({ total: Count, entries: Type.Array(EntrySummarySchema, { description: 'At most `limit`' }) }, { description })

const SinkStatsSchema = Type.Object({
  name: Str,
  type: Str,
  pending: Count,
  in_flight: Count,
  dead: Count,
  counters: Type.Record(Type.String(), Count, { description: 'attempts, delivered, failed, retried, dead_lettered, coalesced, duplicates' }),
})

const DeliveryListing = Type.Object(
  {
    sinks: Type.Array(SinkStatsSchema),
    routes: Type.Array(Type.Object({ name: Str, sinks: Type.Array(Type.String()), rate_per_minute: Count })),
    unrouted: Type.Integer({ minimum: 0, description: 'Alerts that matched no route' }),
    rejected: Type.Integer({ minimum: 0, description: 'Messages on topic alerts that were not valid alerts' }),
    pending: Entries('Entries waiting in the outboxes'),
    dead_letters: Entries('Dead letters, newest first'),
  },
  { description: 'Delivery status' },
)

const Redelivered = Type.Object(
  {
    redelivered: Type.Record(Type.String(), Count, { description: 'Dead letters moved back to the outbox, per sink' }),
    total: Count,
  },
  { description: 'What was moved back' },
)

const TAGS = ['delivery']
const ERRORS = {
  400: errorReply('A parameter or the body is invalid (PP_ERR_BAD_REQUEST)'),
  401: errorReply('Tenant keys are configured and the key is missing, unknown or not an admin key (PP_ERR_UNAUTHORIZED)'),
  404: errorReply('No sink of that name (PP_ERR_NOT_FOUND)'),
  500: errorReply('An unexpected failure (PP_ERR_INTERNAL); details in the server log'),
}

function summarise(entry: OutboxEntry): EntrySummary {
  const alert = entry.notification.kind === 'alert' ? entry.notification.alert : undefined
  return {
    id: entry.id,
    sink: entry.sink,
    kind: entry.notification.kind,
    rule_id: alert?.rule_id ?? '',
    severity: alert?.severity ?? '',
    tenant_id: alert?.tenant_id ?? '',
    version: entry.version,
    attempts: entry.attempts,
    coalesced: entry.coalesced,
    routes: entry.routes,
    enqueued_at: entry.enqueued_at,
    next_attempt_at: entry.next_attempt_at,
    last_error: entry.last_error,
    dead_at: entry.dead_at,
  }
}

const SINK_NAME = { type: 'string', pattern: '^[a-z0-9_-]+$' } as const

function requireSink(control: DeliveryControl, sink: string | undefined): void {
  if (sink !== undefined && !control.sinkNames().includes(sink)) throw new PrivpathError('PP_ERR_NOT_FOUND', `sink: no sink named "${sink}"`)
}

export function deliveryRoutes(options: { control: DeliveryControl; auth: Authenticator }): FastifyPluginAsync {
  const { control, auth } = options
  return async (app) => {
    httpErrors(app, { what: 'delivery request' })
    strictValidation(app)
    app.addHook('onRequest', async (request) => {
      const caller = auth.authenticate(request.headers.authorization)
      if (caller.authenticated && caller.tenant !== ADMIN_TENANT) {
        throw new PrivpathError('PP_ERR_UNAUTHORIZED', 'delivery endpoints need an admin key (tenant "*")')
      }
    })

    app.get<{ Querystring: { sink?: string; limit?: number } }>(
      '/api/deliveries',
      {
        schema: {
          summary: 'Delivery status: per-sink counters, pending entries, dead letters',
          description: 'When tenant keys are configured, only an admin key (tenant `*`) may call it.',
          tags: TAGS,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              sink: { ...SINK_NAME, description: 'Only this sink' },
              limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100, description: 'Most entries listed in each of pending and dead_letters' },
            },
          },
          response: { 200: DeliveryListing, ...ERRORS },
        },
      },
      async (request) => {
        const { sink, limit = 100 } = request.query
        requireSink(control, sink)
        const stats = control.stats()
        const pending = control.pending(sink)
        const dead = await control.deadLetters(sink)
        return {
          sinks: sink === undefined ? stats.sinks : stats.sinks.filter((s) => s.name === sink),
          routes: stats.routes,
          unrouted: stats.unrouted,
          rejected: stats.rejected,
          pending: { total: pending.length, entries: pending.slice(0, limit).map(summarise) },
          dead_letters: {
            total: dead.length,
            entries: dead.sort((a, b) => b.dead_at - a.dead_at).slice(0, limit).map(summarise),
          },
        }
      },
    )

    app.post<{ Body: { sink?: string; id?: string } | undefined }>(
      '/api/deliveries/redeliver',
      {
        schema: {
          summary: 'Dead letters back to their outboxes, to be delivered again',
          description: 'Every dead letter, or those of one sink, or one entry by id. When tenant keys are configured, only an admin key (tenant `*`) may call it.',
          tags: TAGS,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              sink: { ...SINK_NAME, description: 'Only this sink' },
              id: { type: 'string', minLength: 1, maxLength: 200, description: 'Only this entry (alert or digest id)' },
            },
          },
          response: { 200: Redelivered, ...ERRORS },
        },
      },
      async (request) => {
        const { sink, id } = request.body ?? {}
        requireSink(control, sink)
        const redelivered = await control.redeliver({ sink, id })
        return { redelivered, total: Object.values(redelivered).reduce((a, b) => a + b, 0) }
      },
    )
  }
}
