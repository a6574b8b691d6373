/**
 * The spans an isolation domain's detector has folded into state, the newest `capacity` of them:
 * the decision endpoint waits until the span a decision depends on (`after_span_id`) is here, so
 * its answer reflects every step the agent exported before asking. A ring of ids plus a Set: one
 * lookup and at most one eviction per event, bounded memory whatever ids agents send.
 */
export class RecentSpans {
  /** Span id → the task it was placed in (a decision naming only its span finds its task). */
  private readonly ids = new Map<string, string>()
  /** Grows to `capacity`, then overwrites the oldest: a quiet domain holds little. */
  private readonly ring: string[] = []
  private next = 0

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.ids.size
  }

  add(spanId: string, taskId: string): void {
    if (spanId === '' || this.ids.has(spanId)) return
    if (this.ring.length < this.capacity) this.ring.push(spanId)
    else {
      this.ids.delete(this.ring[this.next])
      this.ring[this.next] = spanId
      this.next = (this.next + 1) % this.capacity
    }
    this.ids.set(spanId, taskId)
  }

  has(spanId: string): boolean {
    return this.ids.has(spanId)
  }

  /** The task a processed span was placed in; undefined when not (or no longer) remembered. */
  taskOf(spanId: string): string | undefined {
    return this.ids.get(spanId)
  }
}
