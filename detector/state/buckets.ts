/**
 * Deadlines grouped by second: `due(now)` hands back the keys whose deadline passed, cheaply,
 * without scanning every live entry. Entries whose deadline later moved are re-checked by the
 * caller (a key may sit in several buckets). Buckets are found through a min-heap of their
 * numbers: with deadlines spread over half an hour (task inactivity) there are thousands of
 * buckets, and sorting them on every sweep cost more than the sweep's work.
 */
import { MinHeap } from '../../core/heap.js'

export class DeadlineBuckets {
  private readonly buckets = new Map<number, Set<string>>()
  private readonly order = new MinHeap<{ at: number }>()
  private readonly resolutionMs: number

  constructor(resolutionMs = 1_000) {
    this.resolutionMs = resolutionMs
  }

  add(key: string, deadline: number): void {
    const bucket = Math.ceil(deadline / this.resolutionMs)
    let set = this.buckets.get(bucket)
    if (!set) {
      this.buckets.set(bucket, (set = new Set()))
      this.order.push({ at: bucket })
    }
    set.add(key)
  }

  *due(now: number): Generator<string> {
    const limit = Math.floor(now / this.resolutionMs)
    for (let top = this.order.peek(); top && top.at <= limit; top = this.order.peek()) {
      this.order.pop()
      const set = this.buckets.get(top.at)
      this.buckets.delete(top.at)
      if (set) yield* set
    }
  }

  get size(): number {
    return this.buckets.size
  }
}
