/** The endpoints every privpath process serves, whatever its roles: liveness, readiness and Prometheus metrics. */
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'

export interface Readiness {
  ready: boolean
  checks: Record<string, boolean>
}

export interface OperationsOptions {
  registry: Registry
  readiness: () => Readiness
}

export function operationsApi(options: OperationsOptions) {
  return async function operations(app: FastifyInstance): Promise<void> {
    app.get('/healthz', async () => ({ status: 'ok' }))
    app.get('/readyz', async (_request, reply) => {
      const readiness = options.readiness()
      return reply.code(readiness.ready ? 200 : 503).send(readiness)
    })
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', options.registry.contentType).send(await options.registry.metrics()),
    )
  }
}
