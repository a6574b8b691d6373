/**
 * How the OTLP routes appear in /openapi.json. The handler reads the raw body itself (limits,
 * content encoding, protobuf or JSON), so the request body and headers are described to the
 * document only, through @fastify/swagger's per-route transform: as route schemas, fastify would
 * validate a body no parser has read. The response schemas never serialise anything: every
 * answer is already encoded (a Buffer or a string) when it is sent.
 */
import type { SwaggerTransform } from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import type { Signal } from '../wal/index.js'

const MESSAGES: Record<Signal, { request: string; response: string; items: string }> = {
  traces: { request: 'ExportTraceServiceRequest', response: 'ExportTraceServiceResponse', items: 'rejected_spans' },
  logs: { request: 'ExportLogsServiceRequest', response: 'ExportLogsServiceResponse', items: 'rejected_log_records' },
}

/** One message in either OTLP/HTTP encoding: binary protobuf or its JSON mapping. */
function media(message: string) {
  return {
    'application/x-protobuf': { schema: { type: 'string', format: 'binary', description: `${message} (protobuf)` } },
    'application/json': { schema: { type: 'object', additionalProperties: true, description: `${message} (OTLP JSON)` } },
  }
}

export const RETRY_AFTER = { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } }

function status(description: string, headers?: typeof RETRY_AFTER) {
  return {
    description: `${description}. A google.rpc.Status in the request's encoding, its message starting with the PP_ERR_* code.`,
    ...(headers && { headers }),
    content: media('google.rpc.Status'),
  }
}

export function otlpRouteSchema(signal: Signal): FastifySchema {
  const { request, response, items } = MESSAGES[signal]
  return {
    summary: `OTLP/HTTP ${signal} export (${request})`,
    description:
      'Protobuf or JSON, optionally gzip or deflate; the answer uses the request’s encoding. ' +
      'Limited to server.max_body_bytes before and after decompression.',
    tags: ['ingest'],
    response: {
      200: {
        description: `Durable: in the collector's write-ahead log (fsynced) and queued. partial_success { ${items}, error_message } when some items were malformed; the rest were kept.`,
        content: media(response),
      },
      400: status('The body does not decode, or does not inflate (PP_ERR_DECODE, PP_ERR_BAD_ENCODING)'),
      401: status('Tenant keys are configured and the key is missing or unknown (PP_ERR_UNAUTHORIZED)'),
      413: status('The body is over server.max_body_bytes, before or after decompression (PP_ERR_BODY_TOO_LARGE)'),
      415: status('Content-Type or Content-Encoding not supported (PP_ERR_UNSUPPORTED_MEDIA_TYPE)'),
      429: status('The collector queue is full; nothing was kept (PP_ERR_QUEUE_FULL)', RETRY_AFTER),
      503: status('Shutting down, or the write-ahead log cannot make the request durable; nothing was kept (PP_ERR_UNAVAILABLE)', RETRY_AFTER),
    },
  }
}

/** Adds a request body (by Content-Type) and its Content-Encoding to a route's entry in the document: every ingest route reads its body itself. */
export function requestBodyDocs(content: Record<string, { schema: Record<string, unknown> }>): SwaggerTransform {
  return ({ schema, url }) => ({
    url,
    schema: {
      ...schema,
      headers: {
        type: 'object',
        properties: { 'content-encoding': { type: 'string', enum: ['gzip', 'deflate', 'identity'], description: 'Absent: identity' } },
      },
      body: { content },
    },
  })
}

/** Adds the request body (either Content-Type) and its Content-Encoding to the route's entry in the document. */
export function otlpRequestDocs(signal: Signal): SwaggerTransform {
  return requestBodyDocs(media(MESSAGES[signal].request))
}
