/**
 * Where each recently seen span was placed (tenant, task and effective agent), so spans arriving later
 * in the same trace inherit it. Bounded: least recently used entries are evicted and counted.
 */

export interface Placement {
  tenantId: string
  taskId: string
  agentId: string
  agentName: string
}

export class KnownSpans {
  private readonly entries = new Map<string, Placement>()

  constructor(
    private readonly capacity: number,
    private readonly onEvict: () => void,
  ) {}

  get(key: string): Placement | undefined {
    const placement = this.entries.get(key)
    if (placement !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, placement)
    }
    return placement
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  set(key: string, placement: Placement): void {
    this.entries.delete(key)
    this.entries.set(key, placement)
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
      this.onEvict()
    }
  }

  size(): number {
    return this.entries.size
  }
}
