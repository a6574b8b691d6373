/**
 * The one error reply of every HTTP boundary (OTLP receiver, query API, delivery): an error is
 * classified once (`classify`: its code, status and retry hint), then answered with that status,
 * `Retry-After` when the error is worth retrying later (429, 503), `Connection: close` when the
 * request body was not read to its end (413; unless the boundary drains it), and a body the boundary encodes — JSON
 * `{ code, message }` by default, a google.rpc.Status for OTLP. Server errors are logged with
 * their details; the client sees only "internal error".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { classify, type Classified } from './classify.js'

export interface ErrorReplyOptions {
  /** Names the boundary in the log line of a server error, e.g. 'OTLP request'. */
  what: string
  /** The reply body; default JSON `{ code, message }`. */
  encode?: (request: FastifyRequest, classified: Classified) => { contentType: string; payload: string | Buffer }
  /** The boundary reads (bounded) the rest of a body it refused with 413, so the connection stays open. */
  drainsRefusedBodies?: boolean
}

/** The default JSON error body, as a route's response schema: `description` says when a route answers it. */
export function errorReply(description: string) {
  return Type.Object(
    {
      code: Type.String({ description: 'A PP_ERR_* code (docs/errors.md)' }),
      message: Type.String({ description: 'What is wrong, naming the field or parameter' }),
    },
    { description },
  )
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown, options: ErrorReplyOptions): FastifyReply {
  const classified = classify(error)
  if (classified.status >= 500) request.log.error({ err: error }, `${options.what} failed`)
  if (classified.retryAfterSeconds !== undefined) reply.header('retry-after', String(classified.retryAfterSeconds))
  // A body we stopped reading and nobody drains: close the connection instead.
  if (classified.status === 413 && options.drainsRefusedBodies !== true) reply.header('connection', 'close')
  reply.code(classified.status)
  if (!options.encode) return reply.send({ code: classified.code, message: classified.message })
  const { contentType, payload } = options.encode(request, classified)
  return reply.header('content-type', contentType).send(payload)
}

/** Installs the error reply on a fastify scope (and the scopes it registers). */
export function httpErrors(scope: FastifyInstance, options: ErrorReplyOptions): void {
  scope.setErrorHandler((error, request, reply) => sendError(request, reply, error, options))
}
