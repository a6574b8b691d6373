/**
 * The one place that turns any error reaching an HTTP boundary (OTLP receiver, query API) into a
 * status, an error code, a google.rpc.Status code and a message. PrivpathErrors carry their own
 * status; fastify's own 4xx errors keep theirs; anything else is a 500 whose details stay in the log.
 */
import { isPrivpathError, type ErrorCode } from './errors.js'

export interface Classified {
  status: number
  /** google.rpc.Code */
  grpcCode: number
  code: ErrorCode
  message: string
  retryAfterSeconds: number | undefined
}

const GRPC_CODE: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  413: 3, // INVALID_ARGUMENT: the request itself is too large, retrying it cannot help
  415: 3,
  429: 8, // RESOURCE_EXHAUSTED
  503: 14, // UNAVAILABLE
}

/** Fastify's own 4xx errors (validation, body limits) answered with our codes. */
const FASTIFY_CODES: Record<number, ErrorCode> = {
  401: 'PP_ERR_UNAUTHORIZED',
  404: 'PP_ERR_NOT_FOUND',
  413: 'PP_ERR_BODY_TOO_LARGE',
  415: 'PP_ERR_UNSUPPORTED_MEDIA_TYPE',
}

export function classify(error: unknown): Classified {
  if (isPrivpathError(error)) {
    return {
      status: error.status,
      grpcCode: GRPC_CODE[error.status] ?? 13,
      code: error.code,
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds ?? (error.retryable ? 1 : undefined),
    }
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      status: fastifyError.statusCode,
      grpcCode: GRPC_CODE[fastifyError.statusCode] ?? 3,
      code: FASTIFY_CODES[fastifyError.statusCode] ?? 'PP_ERR_BAD_REQUEST',
      message: fastifyError.message ?? 'bad request',
      retryAfterSeconds: undefined,
    }
  }
  return { status: 500, grpcCode: 13, code: 'PP_ERR_INTERNAL', message: 'internal error', retryAfterSeconds: undefined }
}
