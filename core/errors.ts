/**
 * Errors as data: every error privpath raises on purpose has a stable code, an HTTP status and
 * a message. `docs/errors.md` lists every code; a test keeps the two in step.
 */
export const ERROR_CODES = {
  PP_ERR_CONFIG_INVALID: { status: 500, retryable: false },
  PP_ERR_CONFIG_FILE: { status: 500, retryable: false },
  PP_ERR_BODY_TOO_LARGE: { status: 413, retryable: false },
  PP_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  PP_ERR_BAD_ENCODING: { status: 400, retryable: false },
  PP_ERR_DECODE: { status: 400, retryable: false },
  PP_ERR_UNAUTHORIZED: { status: 401, retryable: false },
  PP_ERR_BAD_REQUEST: { status: 400, retryable: false },
  PP_ERR_NOT_FOUND: { status: 404, retryable: false },
  PP_ERR_QUEUE_FULL: { status: 429, retryable: true },
  PP_ERR_UNAVAILABLE: { status: 503, retryable: true },
  PP_ERR_RULE_INVALID: { status: 500, retryable: false },
  PP_ERR_INTERNAL: { status: 500, retryable: true },
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export class PrivpathError extends Error {
  readonly status: number
  readonly retryable: boolean
  readonly retryAfterSeconds: number | undefined

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PrivpathError'
    this.status = ERROR_CODES[code].status
    this.retryable = ERROR_CODES[code].retryable
    this.retryAfterSeconds = options?.retryAfterSeconds
  }
}

export function isPrivpathError(error: unknown): error is PrivpathError {
  return error instanceof PrivpathError
}
