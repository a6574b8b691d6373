/** The endpoints every privpath process serves, whatever its roles: liveness, readiness and Prometheus metrics. */
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import Type, { type Static } from 'typebox'

const ReadinessSchema = Type.Object({
  ready: Type.Boolean({ description: 'Every check passes' }),
  checks: Type.Record(Type.String(), Type.Boolean(), { description: "Named checks of the roles this process runs, e.g. store, wal_replayed, detector" }),
})
export type Readiness = Static<typeof ReadinessSchema>

export interface OperationsOptions {
  registry: Registry
  readiness: () => Readiness
}

const TAGS = ['operations']
// These answer without a key, whatever the server's tenant keys.
const NO_KEY: Array<Record<string, string[]>> = []

export function operationsApi(options: OperationsOptions) {
  return async function operations(app: FastifyInstance): Promise<void> {
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness: 200 while the process serves HTTP',
          tags: TAGS,
          security: NO_KEY,
          response: { 200: Type.Object({ status: Type.Literal('ok') }, { description: 'Serving' }) },
        },
      },
      async () => ({ status: 'ok' }),
    )
    app.get(
      '/readyz',
      {
        schema: {
          summary: "Readiness: the store migrated, the write-ahead log replayed, the detector ready (the roles this process runs)",
          tags: TAGS,
          security: NO_KEY,
          response: {
            200: { ...ReadinessSchema, description: 'Ready' },
            503: { ...ReadinessSchema, description: 'Not ready: some check fails' },
          },
        },
      },
      async (_request, reply) => {
        const readiness = options.readiness()
        return reply.code(readiness.ready ? 200 : 503).send(readiness)
      },
    )
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (privpath_*)',
          tags: TAGS,
          security: NO_KEY,
          response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      async (_request, reply) => reply.header('content-type', options.registry.contentType).send(await options.registry.metrics()),
    )
  }
}
