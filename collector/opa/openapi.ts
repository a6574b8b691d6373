/**
 * How `POST /v1/opa/logs` appears in /openapi.json. As for the OTLP routes, the handler reads the
 * raw body itself, so the request body is described to the document only (a route body schema
 * would have fastify validate a body no parser read).
 */
import type { SwaggerTransform } from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import Type from 'typebox'
import { errorReply } from '../../core/http-errors.js'
import { requestBodyDocs, RETRY_AFTER } from '../receiver/index.js'

function retryable(description: string) {
  return { ...errorReply(description), headers: RETRY_AFTER }
}

export function opaLogsSchema(): FastifySchema {
  return {
    summary: 'OPA decision-log upload',
    description:
      "OPA's decision log plugin posts here when a service's url is `http://<host>:4318/v1/opa` and `decision_logs.service` names it. " +
      'Each decision becomes an authz_decision event, joined to the tool call or task its trace names (docs/opa.md). ' +
      'Limited to server.max_body_bytes before and after decompression.',
    tags: ['ingest'],
    response: {
      200: Type.Object(
        { accepted: Type.Integer({ minimum: 0, description: 'Decisions accepted' }) },
        { description: "Durable: in the collector's write-ahead log (fsynced) and queued, or acknowledged by Kafka." },
      ),
      400: errorReply('The body does not inflate, is not JSON, or a decision is malformed, the field named (PP_ERR_DECODE, PP_ERR_BAD_ENCODING); nothing was kept'),
      401: errorReply('Tenant keys are configured and the bearer token is missing or unknown (PP_ERR_UNAUTHORIZED)'),
      413: errorReply('The body is over server.max_body_bytes, before or after decompression (PP_ERR_BODY_TOO_LARGE)'),
      415: errorReply('Content-Type is not application/json, or Content-Encoding not gzip, deflate or identity (PP_ERR_UNSUPPORTED_MEDIA_TYPE)'),
      429: retryable('The collector queue is full; nothing was kept (PP_ERR_QUEUE_FULL)'),
      503: retryable('Shutting down, or the upload cannot be made durable; nothing was kept (PP_ERR_UNAVAILABLE)'),
    },
  }
}

/** The request body: OPA's decision-log events. */
export function opaLogsDocs(): SwaggerTransform {
  return requestBodyDocs({
    'application/json': {
      schema: {
        type: 'array',
        description: 'OPA decision-log events (OPA sends them gzipped)',
        items: {
          type: 'object',
          required: ['decision_id', 'timestamp'],
          additionalProperties: true,
          properties: {
            decision_id: { type: 'string' },
            timestamp: { type: 'string', format: 'date-time' },
            trace_id: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' },
            span_id: { type: 'string', pattern: '^[0-9a-fA-F]{16}$' },
            path: { type: 'string' },
            query: { type: 'string' },
            input: {},
            result: {},
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            requested_by: { type: 'string' },
            req_id: { type: 'integer' },
            bundles: { type: 'object', additionalProperties: { type: 'object', properties: { revision: { type: 'string' } } } },
            erased: { type: 'array', items: { type: 'string' } },
            masked: { type: 'array', items: { type: 'string' } },
            error: { type: 'object', additionalProperties: true },
          },
        },
      },
    },
  })
}
