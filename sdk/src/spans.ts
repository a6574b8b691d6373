/**
 * How the SDK's spans are made: around a caller's function (ended when it returns or settles,
 * failed when it throws), as an instant, or as a long-lived task/delegation span. Every time
 * comes from the SDK's one clock.
 */
import { context, trace, SpanStatusCode, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from './attributes.js'
import { preciseNow } from './clock.js'

/**
 * Run `fn` inside a new span made current in `parent`, end the span when `fn` returns or its promise
 * settles, and mark it failed (status, `error.type`, exception event) when `fn` throws or rejects.
 */
export function runInSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  parent: Context,
  fn: (span: Span) => T,
  onResult?: (span: Span, value: Awaited<T>) => void,
  beforeEnd?: (span: Span) => void,
): T {
  const span = tracer.startSpan(name, { ...options, startTime: preciseNow() }, parent)
  const end = () => {
    beforeEnd?.(span)
    span.end(preciseNow())
  }
  const fail = (error: unknown): never => {
    markFailed(span, error)
    end()
    throw error
  }
  let result: T
  try {
    result = context.with(trace.setSpan(parent, span), fn, undefined, span)
  } catch (error) {
    return fail(error)
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then((value) => {
      onResult?.(span, value as Awaited<T>)
      end()
      return value
    }, fail) as T
  }
  onResult?.(span, result as Awaited<T>)
  end()
  return result
}

/** A span that starts and ends now: a step with no duration of its own (prompt sent, event outside a span). */
export function recordInstant(tracer: Tracer, name: string, options: SpanOptions, parent: Context): void {
  const now = preciseNow()
  tracer.startSpan(name, { ...options, startTime: now }, parent).end(now)
}

/**
 * Spans that stay open for a whole task or delegation. Their span events would reach privpath
 * only when they end, after the steps that followed, so events recorded while one of them is
 * current get a short span of their own instead.
 */
const longLived = new WeakSet<Span>()

export function isLongLived(span: Span): boolean {
  return longLived.has(span)
}

/** `runInSpan` for a task or delegation span; `beforeEnd` runs whether `fn` succeeds or fails. */
export function runInLongLivedSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  parent: Context,
  fn: (span: Span) => T,
  beforeEnd?: (span: Span) => void,
): T {
  return runInSpan(
    tracer,
    name,
    options,
    parent,
    (span) => {
      longLived.add(span)
      return fn(span)
    },
    undefined,
    beforeEnd,
  )
}

function markFailed(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error))
  span.recordException(err, preciseNow())
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message })
  span.setAttribute(ATTR_ERROR_TYPE, err.name === 'Error' ? err.constructor.name : err.name)
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
