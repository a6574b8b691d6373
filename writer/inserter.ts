/**
 * Inserts one batch into one table, making sure each row ends up either in ClickHouse or in the
 * dead-letter file, or the whole call fails (and the bus redelivers):
 * transient errors retry with backoff; a batch too large is inserted as two halves; a batch with
 * a malformed row is halved until the bad row stands alone, which is then dead-lettered while
 * every good row around it is inserted. Halving costs O(bad rows × log n) extra inserts and only
 * runs after a rejection, so the normal path stays one insert per batch.
 */
import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import { type BackoffPolicy, retry } from '../core/retry.js'
import { quoteIdentifier } from '../core/store/ddl.js'
import type { Logger } from '../core/telemetry.js'
import { classifyInsertError } from './classify.js'
import type { DeadLetterFile } from './dead-letter.js'
import type { WriterMetrics } from './metrics.js'

/**
 * Rows are sent as an already encoded body through `exec`: `insert` would stringify every row at
 * flush time, after the previous insert finished, while encoding each delivery as it arrives
 * (encode.ts) overlaps with the insert in flight, and `insert` takes no binary format.
 */
export type InsertClient = Pick<ClickHouseClient, 'exec'>

export interface Encoded {
  /** One row in the table's insert format, complete (a JSON line with its newline): a body is rows end to end. */
  row: Uint8Array
  /** The bus value the row came from; what the dead-letter file keeps. */
  source: unknown
}

/** How a table's rows are encoded: a ClickHouse input format and, when its rows carry no keys, its column order. */
export interface RowFormat {
  format: 'JSONEachRow' | 'JSONCompactEachRow' | 'RowBinary'
  columns?: readonly string[]
}

/** How an insert is retried on transient errors, with core/retry's backoff. */
export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in all, the first included; when they run out the batch fails and the bus redelivers it. */
  attempts: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 100, maxMs: 5_000 }

export interface InserterOptions {
  client: InsertClient
  /** Logical name used in metrics and dead-letter files, e.g. `events`. */
  table: string
  /** Fully qualified name the INSERT targets. */
  target: string
  rowFormat: RowFormat
  deadLetters: DeadLetterFile
  metrics: WriterMetrics
  logger: Logger
  retry: RetryPolicy
}

export class TableInserter {
  private readonly statement: string

  constructor(private readonly options: InserterOptions) {
    const { target, rowFormat } = options
    const columns = rowFormat.columns ? ` (${rowFormat.columns.map(quoteIdentifier).join(', ')})` : ''
    this.statement = `INSERT INTO ${target}${columns} FORMAT ${rowFormat.format}`
  }

  async insert(batch: readonly Encoded[]): Promise<void> {
    if (batch.length === 0) return
    this.options.metrics.batchRows.observe({ table: this.options.table }, batch.length)
    await this.insertOrSplit(batch)
  }

  private async insertOrSplit(batch: readonly Encoded[]): Promise<void> {
    const { table, metrics, logger } = this.options
    try {
      await this.insertWithRetry(batch)
      return
    } catch (error) {
      const reason = classifyInsertError(error)
      if (reason !== 'too_large' && reason !== 'malformed') throw error
      if (batch.length === 1) {
        logger.error({ table, reason, err: error }, 'writer: row rejected by ClickHouse, dead-lettered')
        await this.options.deadLetters.write([{ table, reason: `${reason}: ${errorMessage(error)}`, value: batch[0].source }])
        metrics.deadLettered.inc({ table, reason })
        return
      }
      metrics.splits.inc({ table })
      logger.warn({ table, reason, rows: batch.length }, 'writer: batch rejected, inserting halves')
      const middle = batch.length >>> 1
      await this.insertOrSplit(batch.slice(0, middle))
      await this.insertOrSplit(batch.slice(middle))
    }
  }

  private async insertWithRetry(batch: readonly Encoded[]): Promise<void> {
    const { client, table, metrics, logger } = this.options
    const body = Buffer.concat(batch.map((encoded) => encoded.row))
    await retry(
      async () => {
        const stop = metrics.insertSeconds.startTimer({ table })
        try {
          const result = await client.exec({ query: this.statement, values: Readable.from([body]) })
          result.stream.destroy()
        } catch (error) {
          metrics.failures.inc({ table, reason: classifyInsertError(error) })
          throw error
        }
        stop()
        metrics.rowsWritten.inc({ table }, batch.length)
      },
      {
        ...this.options.retry,
        retryable: (error) => classifyInsertError(error) === 'transient',
        onRetry: (error, attempt, delayMs) => logger.warn({ table, attempt, delayMs, err: error }, 'writer: insert failed, retrying'),
      },
    )
  }
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 500)
}
