/** The write-ahead log: segment files of framed records, group-committed, checkpointed and replayed (see index.ts). */
import { mkdir, open, readdir, readFile, rename, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Logger } from 'pino'
import { decodeRecord, encodeRecordParts, type WalEntry, type WalRecord } from './record.js'


export interface WalOptions {
  dir: string
  logger: Logger
  registry: Registry
  /** Rotate to a new segment once the current one is at least this large. */
  segmentBytes?: number
  /** How often the checkpoint file is rewritten while the checkpoint moves. */
  checkpointIntervalMs?: number
  /** Called after each checkpoint write (file renamed, segments below it deleted): lets tests await the timer's write. */
  onCheckpointWritten?: (checkpoint: number) => void
}

export interface OpenedWal {
  wal: WriteAheadLog
  /** Records after the checkpoint, in LSN order, to be replayed through the pipeline. */
  replay: WalRecord[]
}

interface Waiting {
  /** The encoded record, written without copying its body. */
  parts: [Buffer, Uint8Array]
  resolve: (lsn: number) => void
  reject: (error: Error) => void
  lsn: number
}

interface Segment {
  firstLsn: number
  path: string
}

const SEGMENT_SUFFIX = '.wal'
const CHECKPOINT_FILE = 'checkpoint'
const segmentName = (firstLsn: number) => `${String(firstLsn).padStart(20, '0')}${SEGMENT_SUFFIX}`

class WalMetrics {
  readonly fsyncSeconds: Histogram
  readonly appended: Counter
  readonly appendedBytes: Counter
  readonly tornRecords: Counter
  readonly replayed: Counter
  readonly deletedSegments: Counter
  readonly unchecked: Gauge

  constructor(registry: Registry) {
    const registers = [registry]
    this.fsyncSeconds = new Histogram({
      name: 'privpath_collector_wal_fsync_seconds',
      help: 'Time of one group commit (write + fdatasync)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    })
    this.appended = new Counter({ name: 'privpath_collector_wal_records_total', help: 'Records made durable', registers })
    this.appendedBytes = new Counter({ name: 'privpath_collector_wal_bytes_total', help: 'Bytes made durable', registers })
    this.tornRecords = new Counter({
      name: 'privpath_collector_wal_torn_records_total',
      help: 'Unreadable records found at open (torn tail after a crash, or corruption) and truncated',
      registers,
    })
    this.replayed = new Counter({ name: 'privpath_collector_wal_replayed_records_total', help: 'Records replayed at open', registers })
    this.deletedSegments = new Counter({
      name: 'privpath_collector_wal_deleted_segments_total',
      help: 'Fully checkpointed segments deleted',
      registers,
    })
    this.unchecked = new Gauge({
      name: 'privpath_collector_wal_uncheckpointed_records',
      help: 'Durable records whose events are not yet all published',
      registers,
    })
  }
}

export class WriteAheadLog {
  private readonly waiting: Waiting[] = []
  private syncing: Promise<void> | undefined
  private current!: { handle: FileHandle; segment: Segment; bytes: number }
  private readonly segments: Segment[] = []
  private readonly completedAhead = new Set<number>()
  private checkpointTimer: NodeJS.Timeout | undefined
  /** Checkpoint writes share one temp file, so they run one after another. */
  private checkpointWrites: Promise<void> = Promise.resolve()
  private writtenCheckpoint: number
  private closed = false

  private constructor(
    private readonly options: Required<Omit<WalOptions, 'logger' | 'registry' | 'onCheckpointWritten'>> &
      Pick<WalOptions, 'logger' | 'onCheckpointWritten'>,
    private readonly metrics: WalMetrics,
    private nextLsn: number,
    private checkpoint: number,
  ) {
    this.writtenCheckpoint = checkpoint
  }

  static async open(options: WalOptions): Promise<OpenedWal> {
    const settings = {
      dir: options.dir,
      logger: options.logger,
      segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 200,
      onCheckpointWritten: options.onCheckpointWritten,
    }
    await mkdir(settings.dir, { recursive: true })
    const metrics = new WalMetrics(options.registry)
    const checkpoint = await readCheckpoint(settings.dir)
    const names = (await readdir(settings.dir)).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort()
    const segments: Segment[] = names.map((n) => ({ firstLsn: Number(n.slice(0, -SEGMENT_SUFFIX.length)), path: join(settings.dir, n) }))
    const replay: WalRecord[] = []
    let highest = checkpoint
    const kept: Segment[] = []
    for (const segment of segments) {
      const data = await readFile(segment.path)
      let offset = 0
      while (offset < data.length) {
        const result = decodeRecord(data, offset)
        if (!result.ok) {
          const lost = data.length - offset
          metrics.tornRecords.inc()
          settings.logger.warn(
            { segment: segment.path, offset, bytes: lost, reason: result.reason },
            'write-ahead log: unreadable record (torn write after a crash); truncating the segment there',
          )
          await truncate(segment.path, offset)
          break
        }
        const { record } = result
        highest = Math.max(highest, record.lsn)
        if (record.lsn > checkpoint) replay.push({ ...record, body: Buffer.from(record.body) })
        offset = result.next
      }
      // An empty segment would share its name with the one started below.
      if (offset === 0) await unlink(segment.path)
      else kept.push(segment)
    }
    replay.sort((a, b) => a.lsn - b.lsn)
    const wal = new WriteAheadLog(settings, metrics, highest + 1, checkpoint)
    wal.segments.push(...kept)
    // LSNs in (checkpoint, highest] that no readable record carries are gone; count them complete.
    const replaying = new Set(replay.map((r) => r.lsn))
    for (let lsn = checkpoint + 1; lsn <= highest; lsn++) if (!replaying.has(lsn)) wal.completedAhead.add(lsn)
    wal.advance()
    wal.metrics.replayed.inc(replay.length)
    wal.metrics.unchecked.set(replay.length)
    await wal.startSegment()
    await wal.deleteCheckpointedSegments()
    if (replay.length > 0) settings.logger.info({ records: replay.length, checkpoint }, 'write-ahead log: replaying records after checkpoint')
    return { wal, replay }
  }

  /** Resolves with the record's LSN once an fsync covers it. */
  append(entry: WalEntry): Promise<number> {
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'))
    const lsn = this.nextLsn++
    const parts = encodeRecordParts(lsn, entry)
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({ parts, resolve, reject, lsn })
      this.syncing ??= this.groupCommit()
    })
  }

  /** The pipeline has published every event of this record and the bus resolved. */
  complete(lsn: number): void {
    if (lsn <= this.checkpoint) return
    this.completedAhead.add(lsn)
    this.advance()
  }

  /** Highest LSN below which every record is complete. */
  checkpointed(): number {
    return this.checkpoint
  }

  /** Records durable but not yet complete. */
  outstanding(): number {
    return this.nextLsn - 1 - this.checkpoint - this.completedAhead.size
  }

  async close(): Promise<void> {
    this.closed = true
    while (this.syncing) await this.syncing
    clearTimeout(this.checkpointTimer)
    this.checkpointTimer = undefined
    await this.persistCheckpoint()
    await this.current.handle.close()
  }

  private advance(): void {
    const before = this.checkpoint
    while (this.completedAhead.delete(this.checkpoint + 1)) this.checkpoint++
    if (this.checkpoint === before) return
    this.metrics.unchecked.set(this.outstanding())
    if (!this.checkpointTimer && !this.closed) {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = undefined
        this.persistCheckpoint().catch((error: unknown) =>
          this.options.logger.error({ err: error }, 'write-ahead log: cannot write checkpoint'),
        )
      }, this.options.checkpointIntervalMs)
      this.checkpointTimer.unref()
    }
  }

  private async groupCommit(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0)
        const started = performance.now()
        try {
          const buffers = batch.flatMap((w) => w.parts)
          let size = 0
          for (const b of buffers) size += b.length
          await this.current.handle.writev(buffers)
          await this.current.handle.datasync()
          this.current.bytes += size
          this.metrics.fsyncSeconds.observe((performance.now() - started) / 1000)
          this.metrics.appended.inc(batch.length)
          this.metrics.appendedBytes.inc(size)
          this.metrics.unchecked.set(this.outstanding())
          for (const w of batch) w.resolve(w.lsn)
        } catch (error) {
          // Not durable: the callers answer with an error and the client retries. The LSNs never
          // complete otherwise, so mark them done to keep the checkpoint moving.
          for (const w of batch) {
            this.completedAhead.add(w.lsn)
            w.reject(error as Error)
          }
          this.advance()
        }
        if (this.current.bytes >= this.options.segmentBytes) await this.rotate()
      }
    } finally {
      this.syncing = undefined
    }
  }

  private async startSegment(): Promise<void> {
    const segment = { firstLsn: this.nextLsn, path: join(this.options.dir, segmentName(this.nextLsn)) }
    const handle = await open(segment.path, 'a')
    this.current = { handle, segment, bytes: 0 }
    this.segments.push(segment)
  }

  private async rotate(): Promise<void> {
    const previous = this.current.handle
    await this.startSegment()
    await previous.close()
    await this.deleteCheckpointedSegments()
  }

  private persistCheckpoint(): Promise<void> {
    const write = this.checkpointWrites.then(() => this.writeCheckpoint())
    this.checkpointWrites = write.catch(() => undefined)
    return write
  }

  private async writeCheckpoint(): Promise<void> {
    const checkpoint = this.checkpoint
    if (checkpoint !== this.writtenCheckpoint) {
      const file = join(this.options.dir, CHECKPOINT_FILE)
      await writeFile(`${file}.tmp`, `${checkpoint}\n`)
      await rename(`${file}.tmp`, file)
      this.writtenCheckpoint = checkpoint
    }
    await this.deleteCheckpointedSegments()
    this.options.onCheckpointWritten?.(this.writtenCheckpoint)
  }

  /** A segment is deletable when the next segment starts at or below checkpoint + 1. */
  private async deleteCheckpointedSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[1].firstLsn <= this.writtenCheckpoint + 1) {
      const [segment] = this.segments.splice(0, 1)
      await unlink(segment.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error
      })
      this.metrics.deletedSegments.inc()
    }
  }
}

async function readCheckpoint(dir: string): Promise<number> {
  try {
    const value = Number((await readFile(join(dir, CHECKPOINT_FILE), 'utf8')).trim())
    return Number.isSafeInteger(value) && value >= 0 ? value : 0
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
}
