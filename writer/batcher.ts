/**
 * Coalesces rows from many bus deliveries into inserts of at most `maxRows`, flushed when full or
 * `flushMs` after the first row arrived. `add` resolves only when every row it added has been
 * flushed, so a bus handler that awaits it commits its messages after the insert, never before.
 * Flushes of one batcher run one at a time, in order. With `flushMs` 0 rows that arrive while a
 * flush runs go together in the next one (group commit): under load an insert waits for at most
 * the one before it, not for a queue of single-delivery inserts.
 */

interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Every rejection is also delivered to the `add` callers awaiting it; this branch only keeps
  // Node from reporting it as unhandled before they attach.
  promise.catch(() => {})
  return { promise, resolve, reject }
}

export interface BatcherOptions<T> {
  maxRows: number
  /** 0 flushes every `add` at once, or as soon as the running flush ends. */
  flushMs: number
  flush: (items: T[]) => Promise<void>
  /** Called whenever the number of rows held (buffered, not yet handed to `flush`) changes. */
  onBuffered?: (rows: number) => void
}

export class Batcher<T> {
  private buffer: T[] = []
  private pending = deferred()
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()
  private immediate = false
  private flushing = 0

  constructor(private readonly options: BatcherOptions<T>) {
    if (!Number.isInteger(options.maxRows) || options.maxRows < 1) throw new Error(`maxRows must be a positive integer`)
  }

  get buffered(): number {
    return this.buffer.length
  }

  add(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve()
    const waits: Promise<void>[] = []
    let offset = 0
    while (offset < items.length) {
      const take = Math.min(this.options.maxRows - this.buffer.length, items.length - offset)
      for (let i = 0; i < take; i++) this.buffer.push(items[offset + i])
      offset += take
      waits.push(this.pending.promise)
      if (this.buffer.length >= this.options.maxRows) this.cut()
    }
    if (this.buffer.length > 0) {
      if (this.eager) {
        if (this.flushing === 0) this.cut()
      } else this.timer ??= setTimeout(() => this.cut(), this.options.flushMs)
    }
    this.options.onBuffered?.(this.buffer.length)
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined)
  }

  /** From now on every `add` flushes at once; flushes what is buffered and waits for all flushes. */
  async drain(): Promise<void> {
    this.immediate = true
    if (this.buffer.length > 0) this.cut()
    await this.chain
  }

  private get eager(): boolean {
    return this.immediate || this.options.flushMs === 0
  }

  private cut(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    const items = this.buffer
    const done = this.pending
    this.buffer = []
    this.pending = deferred()
    this.options.onBuffered?.(0)
    this.flushing++
    this.chain = this.chain
      .then(() => this.options.flush(items))
      .then(done.resolve, done.reject)
      .then(() => {
        this.flushing--
        if (this.flushing === 0 && this.buffer.length > 0 && this.eager) this.cut()
      })
  }
}
