/**
 * The freshness wait: a decision that names the span it depends on (`after_span_id`) is answered
 * once the detector has folded that span into state, or after `wait_ms`, whichever comes first.
 * The detector calls `notify` after each batch it stepped; waiters are checked then, so a wait
 * costs nothing per event and ends as soon as its span was processed.
 */
interface Waiter {
  domain: string
  spanId: string
  done(processed: boolean): void
}

export class SpanWaits {
  private readonly waiters = new Set<Waiter>()

  constructor(private readonly processed: (domain: string, spanId: string) => boolean) {}

  get pending(): number {
    return this.waiters.size
  }

  /** Resolves true once the span is processed, false when `ms` passed first. */
  wait(domain: string, spanId: string, ms: number): Promise<boolean> {
    if (this.processed(domain, spanId)) return Promise.resolve(true)
    if (ms <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.done(false), ms)
      const waiter: Waiter = {
        domain,
        spanId,
        done: (processed) => {
          clearTimeout(timer)
          this.waiters.delete(waiter)
          resolve(processed)
        },
      }
      this.waiters.add(waiter)
    })
  }

  /** After the detector stepped a batch: ends the waits whose span is now processed. */
  notify(): void {
    for (const waiter of this.waiters) if (this.processed(waiter.domain, waiter.spanId)) waiter.done(true)
  }

  /** Shutdown: every wait ends as stale. */
  close(): void {
    for (const waiter of this.waiters) waiter.done(false)
  }
}
