/**
 * Delivery status over HTTP, as a fastify plugin the delivery role serves:
 * `GET /api/deliveries[?sink=][&limit=]` — per-sink counters, pending entries, dead letters;
 * `POST /api/deliveries/redeliver` `{ sink?, id? }` — dead letters back to their outboxes.
 * Both are operator actions over every tenant's alerts: when tenant keys are configured only an
 * admin key (tenant `*`) may call them. Errors are answered like every other privpath endpoint.
 */
import type { FastifyPluginAsync } from 'fastify'
import { ADMIN_TENANT, type Authenticator } from '../core/auth.js'
import { PrivpathError } from '../core/errors.js'
import { httpErrors } from '../core/http-errors.js'
import type { DeliveryControl } from './service.js'
import type { OutboxEntry } from './outbox/entry.js'

export interface EntrySummary {
  id: string
  sink: string
  kind: 'alert' | 'digest'
  rule_id: string
  severity: string
  tenant_id: string
  version: number
  attempts: number
  coalesced: number
  routes: string[]
  enqueued_at: number
  next_attempt_at: number
  last_error: string
  dead_at: number
}

export function summarise(entry: OutboxEntry): EntrySummary {
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
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { sink: SINK_NAME, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } },
          },
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
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { sink: SINK_NAME, id: { type: 'string', minLength: 1, maxLength: 200 } },
          },
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
