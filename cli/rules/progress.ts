/**
 * A one-line progress bar for long CLI runs, drawn on a TTY stream (stderr) at most every
 * `intervalMs`; on a non-TTY stream it draws nothing, so piped output stays clean.
 */
export interface ProgressStream {
  isTTY?: boolean
  write(chunk: string): unknown
}

export class ProgressBar {
  private lastDraw = 0
  private drawn = false

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly width = 30,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  update(done: number, note = ''): void {
    if (!this.stream.isTTY) return
    const t = this.now()
    if (this.drawn && t - this.lastDraw < this.intervalMs && done < this.total) return
    this.lastDraw = t
    this.drawn = true
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1
    const filled = Math.round(ratio * this.width)
    const bar = '#'.repeat(filled) + '.'.repeat(this.width - filled)
    const pct = `${Math.floor(ratio * 100)}`.padStart(3)
    this.stream.write(`\r[${bar}] ${pct}% ${done}/${this.total} events${note ? ` ${note}` : ''}\u001b[K`)
  }

  finish(): void {
    if (this.drawn) this.stream.write('\n')
    this.drawn = false
  }
}
