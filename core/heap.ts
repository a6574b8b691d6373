/**
 * A binary min-heap ordered by `at`: what is due next, first. The detector's absence deadlines
 * and dedup windows expire from it, the delivery outbox takes due entries from it. Ordered by a
 * field rather than a comparator function so the detector's per-event `peek` and its pushes stay
 * as cheap as a hand-written heap.
 */
export class MinHeap<T extends { at: number }> {
  private readonly items: T[] = []

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent].at <= items[i].at) break
      ;[items[parent], items[i]] = [items[i], items[parent]]
      i = parent
    }
  }

  pop(): T | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        if (l < items.length && items[l].at < items[smallest].at) smallest = l
        if (r < items.length && items[r].at < items[smallest].at) smallest = r
        if (smallest === i) break
        ;[items[smallest], items[i]] = [items[i], items[smallest]]
        i = smallest
      }
    }
    return top
  }
}
