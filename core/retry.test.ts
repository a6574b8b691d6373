import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, retry } from './retry.js'

const failing = (failures: number) => {
  let calls = 0
  return {
    work: async (attempt: number) => {
      calls++
      if (attempt <= failures) throw new Error(`failure ${attempt}`)
      return `done after ${attempt}`
    },
    calls: () => calls,
  }
}

describe('backoff policy', () => {
  it('waits uniformly up to an exponential ceiling, capped at maxMs', () => {
    const policy = { baseMs: 100, maxMs: 1_000 }
    expect([1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000])
    expect(backoffDelay(3, policy, () => 0)).toBe(0)
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200)
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (attempt, r) => {
        const delay = backoffDelay(attempt, { baseMs: 50, maxMs: 5_000 }, () => r)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(Math.min(5_000, 50 * 2 ** (attempt - 1)))
      }),
    )
  })
})

describe('retry', () => {
  it('retries until the work succeeds, reporting each failure and its wait', async () => {
    const { work, calls } = failing(2)
    const seen: Array<[string, number, number]> = []
    const result = await retry(work, { baseMs: 10, maxMs: 10, random: () => 0, onRetry: (error, attempt, delay) => void seen.push([(error as Error).message, attempt, delay]) })
    expect(result).toBe('done after 3')
    expect(calls()).toBe(3)
    expect(seen).toEqual([['failure 1', 1, 0], ['failure 2', 2, 0]])
  })

  it('gives up after `attempts` with the last error, and at once on an error that is not retryable', async () => {
    const bounded = failing(10)
    await expect(retry(bounded.work, { baseMs: 1, maxMs: 1, random: () => 0, attempts: 3 })).rejects.toThrow('failure 3')
    expect(bounded.calls()).toBe(3)
    const permanent = failing(10)
    await expect(retry(permanent.work, { baseMs: 1, maxMs: 1, retryable: () => false })).rejects.toThrow('failure 1')
    expect(permanent.calls()).toBe(1)
  })

  it('stops waiting when its signal aborts, also from onRetry itself, rejecting with the reason', async () => {
    // aborts while the hour-long wait after the first failure is pending, or just before it starts
    for (const abortFrom of [queueMicrotask, (abort: () => void) => abort()]) {
      const controller = new AbortController()
      const { work, calls } = failing(10)
      const running = retry(work, {
        baseMs: 3_600_000,
        maxMs: 3_600_000,
        random: () => 1,
        signal: controller.signal,
        onRetry: () => abortFrom(() => controller.abort(new Error('shutting down'))),
      })
      await expect(running).rejects.toThrow('shutting down')
      expect(calls()).toBe(1)
      await expect(retry(work, { baseMs: 1, maxMs: 1, signal: controller.signal })).rejects.toThrow('shutting down')
      expect(calls()).toBe(1)
    }
  })
})

describe('retry under fake timers', () => {
  afterEach(() => void vi.useRealTimers())

  it('waits on the faked clock, so tests can step through a backoff', async () => {
    vi.useFakeTimers()
    const { work, calls } = failing(1)
    const running = retry(work, { baseMs: 60_000, maxMs: 60_000, random: () => 1 })
    await vi.advanceTimersByTimeAsync(59_999)
    expect(calls()).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    await expect(running).resolves.toBe('done after 2')
  })
})
