/**
 * A due-time queue: a min-heap of (at, id) (core/heap.ts) and one unref'd timer for the earliest,
 * so thousands of entries waiting out a backoff cost one timer, not one sleeping promise each.
 * Rescheduling pushes a new pair; pairs whose due time no longer matches are skipped by the caller.
 */
import { MinHeap } from '../../core/heap.js'

export interface Due {
  /** When the entry is due (ms since the epoch). */
  at: number
  id: string
}

export class DueQueue {
  private readonly heap = new MinHeap<Due>()
  private timer: NodeJS.Timeout | undefined
  private timerDue = Infinity

  constructor(private readonly onDue: () => void) {}

  push(item: Due): void {
    this.heap.push(item)
  }

  peek(): Due | undefined {
    return this.heap.peek()
  }

  pop(): Due | undefined {
    return this.heap.pop()
  }

  /** Arms the timer for the earliest due item (no-op when already armed for it). */
  arm(now: number): void {
    const next = this.heap.peek()?.at ?? Infinity
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
