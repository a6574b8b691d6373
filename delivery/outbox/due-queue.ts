/**
 * A due-time queue: a binary min-heap of (due, id) and one unref'd timer for the earliest, so
 * thousands of entries waiting out a backoff cost one timer, not one sleeping promise each.
 * Rescheduling pushes a new pair; pairs whose due time no longer matches are skipped by the caller.
 */
export interface Due {
  due: number
  id: string
}

export class DueQueue {
  private readonly heap: Due[] = []
  private timer: NodeJS.Timeout | undefined
  private timerDue = Infinity

  constructor(private readonly onDue: () => void) {}

  get size(): number {
    return this.heap.length
  }

  push(item: Due): void {
    const heap = this.heap
    heap.push(item)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent].due <= heap[i].due) break
      ;[heap[parent], heap[i]] = [heap[i], heap[parent]]
      i = parent
    }
  }

  peek(): Due | undefined {
    return this.heap[0]
  }

  pop(): Due | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let smallest = i
        if (l < heap.length && heap[l].due < heap[smallest].due) smallest = l
        if (r < heap.length && heap[r].due < heap[smallest].due) smallest = r
        if (smallest === i) break
        ;[heap[smallest], heap[i]] = [heap[i], heap[smallest]]
        i = smallest
      }
    }
    return top
  }

  /** Arms the timer for the earliest due item (no-op when already armed for it). */
  arm(now: number): void {
    const next = this.heap[0]?.due ?? Infinity
    if (next === this.timerDue) return
    this.disarm()
    if (next === Infinity) return
    this.timerDue = next
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.timerDue = Infinity
        this.onDue()
      },
      Math.max(0, Math.min(next - now, 2_147_000_000)),
    )
    this.timer.unref()
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.timerDue = Infinity
  }
}
