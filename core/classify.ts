/**
 * One place that turns any error reaching the HTTP boundary into a status, a google.rpc.Status
 * code and a message. PrivpathErrors carry their own status; fastify's own errors keep theirs;
 * anything else is a 500 whose details stay in the log.
 */
import { isPrivpathError } from '../../core/errors.js'

export interface Classified {
  status: number
  /** google.rpc.Code */
  grpcCode: number
  code: string
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
      code: fastifyError.code ?? 'PP_ERR_BAD_REQUEST',
      message: fastifyError.message ?? 'bad request',
      retryAfterSeconds: undefined,
    }
  }
  return { status: 500, grpcCode: 13, code: 'PP_ERR_INTERNAL', message: 'internal error', retryAfterSeconds: undefined }
}
