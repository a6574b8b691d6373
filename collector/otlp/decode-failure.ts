import { PrivpathError } from '../../core/errors.js'

/**
 * A decode failure that collects the path of the field it happened in while it unwinds: each
 * level that decodes a named or repeated field catches, prepends its segment and rethrows, so the
 * success path pays nothing for the location tracking.
 */
export class DecodeFailure extends Error {
  readonly segments: string[] = []

  constructor(readonly detail: string) {
    super(detail)
    this.name = 'DecodeFailure'
  }
}

/** Rethrows `error` as a DecodeFailure whose path starts one level up, at `segment`. */
export function within(segment: string, error: unknown): never {
  const failure = error instanceof DecodeFailure ? error : new DecodeFailure(describe(error))
  failure.segments.push(segment)
  throw failure
}

export function toDecodeError(error: unknown, what: string): PrivpathError {
  const failure = error instanceof DecodeFailure ? error : new DecodeFailure(describe(error))
  const path = joinPath(failure.segments.slice().reverse())
  return new PrivpathError(
    'PP_ERR_DECODE',
    `${what}: ${path === '' ? '' : `${path}: `}${failure.detail}`,
    { cause: error instanceof DecodeFailure ? undefined : error },
  )
}

/** `['a', '[0]', 'b']` → `a[0].b`. */
function joinPath(segments: string[]): string {
  let path = ''
  for (const segment of segments) {
    path += segment.startsWith('[') || path === '' ? segment : `.${segment}`
  }
  return path
}

function describe(error: unknown): string {
  if (error instanceof RangeError && error.message.startsWith('index out of range')) {
    return `truncated input (${error.message})`
  }
  if (error instanceof RangeError) return `input too deeply nested or too large (${error.message})`
  if (error instanceof Error) return error.message
  return String(error)
}

/** Keeps the first `limit` reasons and counts every rejection, so nothing is dropped unseen. */
export class Rejections {
  count = 0
  private readonly kept: string[] = []

  constructor(private readonly limit: number) {}

  add(reason: string): void {
    this.count++
    if (this.kept.length < this.limit) this.kept.push(reason)
  }

  reasons(): string[] {
    const omitted = this.count - this.kept.length
    return omitted === 0 ? this.kept.slice() : [...this.kept, `and ${omitted} more`]
  }
}
