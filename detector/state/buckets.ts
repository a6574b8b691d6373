/**
 * Deadlines grouped by second: `due(now)` hands back the keys whose deadline passed, cheaply,
 * without scanning every live entry. Entries whose deadline later moved are re-checked by the
 * caller (a key may sit in several buckets).
 */
export class DeadlineBuckets {
  private readonly buckets = new Map<number, Set<string>>()
  private readonly resolutionMs: number

  constructor(resolutionMs = 1_000) {
    this.resolutionMs = resolutionMs
  }

  add(key: string, deadline: number): void {
    const bucket = Math.ceil(deadline / this.resolutionMs)
    let set = this.buckets.get(bucket)
    if (!set) this.buckets.set(bucket, (set = new Set()))
    set.add(key)
  }

  *due(now: number): Generator<string> {
    const limit = Math.floor(now / this.resolutionMs)
    for (const bucket of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (bucket > limit) break
      const set = this.buckets.get(bucket)!
      this.buckets.delete(bucket)
      yield* set
    }
  }

  get size(): number {
    return this.buckets.size
  }
}
