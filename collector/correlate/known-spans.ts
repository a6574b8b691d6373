/**
 * Where each recently seen span was placed (tenant, task and effective agent), so spans arriving later
 * in the same trace inherit it. Bounded, and evictions are counted.
 *
 * Recency is kept in two generations rather than exact LRU order: a span is remembered in the
 * current generation; when that holds half the capacity, the previous generation is dropped
 * (those placements were neither made nor read since) and the current one becomes the previous.
 * A placement read from the previous generation moves to the current one. So a read costs one
 * look-up instead of a delete and a re-insert into a map of up to a million entries, and what is
 * evicted is still what was least recently used, to within half the capacity.
 */

/** Shared by every span placed the same way, so never changed once made. */
export interface Placement {
  /** A placement answers only for spans of its own trace. */
  readonly traceId: string
  readonly tenantId: string
  readonly taskId: string
  readonly agentId: string
  readonly agentName: string
}

export class KnownSpans {
  private current = new Map<string, Placement>()
  private previous = new Map<string, Placement>()
  private readonly generation: number

  constructor(
    private readonly capacity: number,
    private readonly onEvict: (count: number) => void,
  ) {
    this.generation = Math.max(1, Math.ceil(capacity / 2))
  }

  get(key: string): Placement | undefined {
    const placement = this.current.get(key)
    if (placement !== undefined) return placement
    const older = this.previous.get(key)
    if (older !== undefined) {
      this.previous.delete(key)
      this.insert(key, older)
    }
    return older
  }

  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key)
  }

  set(key: string, placement: Placement): void {
    // Most keys are new: one set that reports, by the size, whether the key was there, instead of
    // a look-up before it. Only a full generation needs to know first.
    if (this.current.size >= this.generation && !this.current.has(key)) {
      if (this.previous.size > 0) this.previous.delete(key)
      this.insert(key, placement)
      return
    }
    const size = this.current.size
    this.current.set(key, placement)
    if (this.current.size === size || this.previous.size === 0) return
    this.previous.delete(key)
    this.dropOverflow()
  }

  size(): number {
    return this.current.size + this.previous.size
  }

  private insert(key: string, placement: Placement): void {
    if (this.current.size >= this.generation) {
      if (this.previous.size > 0) this.onEvict(this.previous.size)
      this.previous = this.current
      this.current = new Map()
    }
    this.current.set(key, placement)
    this.dropOverflow()
  }

  /** Only an odd capacity (two generations of ceil(capacity / 2)) can overflow, by one. */
  private dropOverflow(): void {
    while (this.previous.size > 0 && this.current.size + this.previous.size > this.capacity) {
      this.previous.delete(this.previous.keys().next().value as string)
      this.onEvict(1)
    }
  }
}
