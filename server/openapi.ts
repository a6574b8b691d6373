/**
 * The OpenAPI 3 document of the process's whole HTTP surface, served at `GET /openapi.json`.
 * @fastify/swagger collects routes from an onRoute hook, so it is registered on the server root
 * before any route: every route of every role is in the document, with the schemas it validates
 * and answers with. The document describes; it reads no data, so it needs no key.
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import swagger from '@fastify/swagger'
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify'
import { packageRoot } from '../core/package-root.js'

const OPENAPI_PATH = '/openapi.json'

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

export async function registerOpenApi<Logger extends FastifyBaseLogger>(server: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>): Promise<void> {
  await server.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'privpath',
        version: packageVersion(),
        description: 'OTLP ingest, the query API, alert delivery and operations of one privpath process: which routes it serves depends on its roles. Prose reference: docs/api.md.',
      },
      tags: [
        { name: 'ingest', description: 'OTLP/HTTP receiver and OPA decision logs (collector role)' },
        { name: 'query', description: 'Tasks, credentials, alerts and rules read from the store (api role)' },
        { name: 'delivery', description: 'Alert delivery status and redelivery (delivery role)' },
        { name: 'decision', description: 'Decide a proposed tool call before it runs: OpenID AuthZEN Access Evaluation API 1.0 (detector role)' },
        { name: 'operations', description: 'Health, readiness, metrics and this document (every process)' },
      ],
      components: {
        securitySchemes: {
          tenantKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A key of auth.tenant_keys: reads see its tenant, `*` keys see every tenant. Needed only when the server has keys.',
          },
        },
      },
      // A key, or none when the server has no tenant keys; the operations routes override this.
      security: [{ tenantKey: [] }, {}],
    },
  })
  server.get(
    OPENAPI_PATH,
    {
      schema: {
        summary: 'This OpenAPI 3 document',
        tags: ['operations'],
        security: [],
        response: { 200: { type: 'object', additionalProperties: true, description: 'The OpenAPI document' } },
      },
    },
    async () => server.swagger(),
  )
}
