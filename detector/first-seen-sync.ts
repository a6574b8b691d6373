/**
 * First-seen facts between the engine and the store: what the engine learns is buffered and
 * written after each batch (before it is acknowledged), what the store holds is loaded at start,
 * and — when several detectors share the work (Kafka) — what the others learned is read again
 * every FIRST_SEEN_SYNC_MS, so a tool one member saw is not new to another for long. A failed
 * write keeps its rows for the next one (at most MAX_PENDING, oldest dropped first and logged).
 */
import type { Logger } from 'pino'
import type { FirstSeenRow } from '../core/store/first-seen.js'

export interface FirstSeenStore {
  /** Facts written with a `seen_at` after `since` (event time, epoch ms), or all of them. */
  read(since?: number): Promise<FirstSeenRow[]>
  write(rows: readonly FirstSeenRow[]): Promise<void>
}

export const FIRST_SEEN_SYNC_MS = 60_000
const MAX_PENDING = 10_000
/** Rows of events that arrived late carry an older seen_at: each sync reads back this far before the newest it saw. */
const SYNC_OVERLAP_MS = 5 * 60_000

export class FirstSeenSync {
  private pending: FirstSeenRow[] = []
  private newest = Number.NEGATIVE_INFINITY

  constructor(
    private readonly store: FirstSeenStore,
    private readonly log: Logger,
  ) {}

  /** The engine's `onFirstSeen`. */
  readonly collect = (row: FirstSeenRow): void => {
    this.pending.push(row)
    if (this.pending.length > MAX_PENDING) this.drop(this.pending.length - MAX_PENDING)
  }

  get waiting(): number {
    return this.pending.length
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return
    const rows = this.pending
    this.pending = []
    try {
      await this.store.write(rows)
    } catch (error) {
      this.log.warn({ err: error, rows: rows.length }, 'writing first-seen facts failed; kept for the next batch')
      this.pending = [...rows, ...this.pending]
      if (this.pending.length > MAX_PENDING) this.drop(this.pending.length - MAX_PENDING)
    }
  }

  /** Everything at start, then what was written since the last read (with an overlap for late rows). */
  async read(): Promise<FirstSeenRow[]> {
    const since = Number.isFinite(this.newest) ? this.newest - SYNC_OVERLAP_MS : undefined
    const rows = await this.store.read(since)
    for (const row of rows) if (row.seen_at > this.newest) this.newest = row.seen_at
    return rows
  }

  private drop(count: number): void {
    this.pending.splice(0, count)
    this.log.warn({ dropped: count }, 'first-seen facts dropped: the store has not taken them for too long (they will read as new after a restart)')
  }
}
