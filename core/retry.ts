/**
 * Retrying, the one way privpath does it. The policy is exponential backoff with full jitter:
 * the wait before attempt n+1 is uniform in [0, min(maxMs, baseMs·2^(n−1))]. Jitter spreads the
 * retries of many waiting callers (every handler of a bus that just came back, every pending
 * delivery of a receiver that answered 503) instead of sending them all at once.
 *
 * `retry` runs work until it succeeds, it is out of attempts, the error is not worth retrying, or
 * its AbortSignal aborts; `backoffDelay` is the same policy for waits that are stored rather than
 * slept (the delivery outbox persists when an entry is due next). Every retry in privpath, with
 * its base, ceiling, attempts and what ends it: "Retries" in docs/architecture.md.
 */
import { setMaxListeners } from 'node:events'
export interface BackoffPolicy {
  /** Ceiling of the first wait. */
  baseMs: number
  /** Ceiling of every wait. */
  maxMs: number
}

/** Full jitter: uniform in [0, min(maxMs, baseMs·2^(attempt−1))], for the wait after failed attempt `attempt` (from 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 40))
  return Math.round(random() * ceiling)
}

/**
 * A controller whose signal any number of concurrent retries may share (every batch of a
 * subscription, every publish of a consumer): each pending wait listens to it, and Node warns of a
 * leak past ten listeners otherwise.
 */
export function sharedAbort(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}

export interface RetryOptions extends BackoffPolicy {
  /** Attempts in all, the first included; default unbounded. */
  attempts?: number
  /** Whether a failure is worth another attempt; default every failure. */
  retryable?: (error: unknown) => boolean
  /** Called after each failed attempt that will be retried, with the wait before the next one. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  /** Stops retrying: the pending wait ends at once and `retry` rejects with the signal's reason. */
  signal?: AbortSignal
  random?: () => number
}

export async function retry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? Number.POSITIVE_INFINITY
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted()
    try {
      return await work(attempt)
    } catch (error) {
      options.signal?.throwIfAborted()
      if (attempt >= attempts || !(options.retryable?.(error) ?? true)) throw error
      const delayMs = backoffDelay(attempt, options, options.random)
      options.onRetry?.(error, attempt, delayMs)
      await wait(delayMs, options.signal)
    }
  }
}

/**
 * On the global setTimeout rather than node:timers/promises, which vi.useFakeTimers does not
 * reach: tests step through a backoff with fake timers. Unref'd: a retry loop alone does not keep
 * the process alive.
 */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    // onRetry may have aborted already; an aborted signal fires no further event.
    if (signal?.aborted) return reject(signal.reason)
    const abort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }, ms)
    timer.unref()
    signal?.addEventListener('abort', abort, { once: true })
  })
}
