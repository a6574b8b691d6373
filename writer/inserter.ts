/**
 * Inserts one batch into one table, making sure each row ends up either in ClickHouse or in the
 * dead-letter file, or the whole call fails (and the bus redelivers): a value that cannot be
 * encoded is dead-lettered at once; transient errors retry with backoff; a batch too large is
 * inserted as two halves; a batch with a malformed row is halved until the bad row stands alone,
 * which is then dead-lettered while every good row around it is inserted. Halving re-encodes each
 * half and costs O(bad rows × log n) extra inserts, only after a rejection, so the normal path
 * stays one encoding and one insert per batch.
 */
import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import { type BackoffPolicy, retry } from '../core/retry.js'
import type { Logger } from '../core/telemetry.js'
import { classifyInsertError } from './classify.js'
import type { DeadLetterFile } from './dead-letter.js'
import type { BatchEncoder } from './encode.js'
import type { WriterMetrics } from './metrics.js'

/** Bodies are encoded here (encode.ts) and sent through `exec`: `insert` takes no binary format. */
export type InsertClient = Pick<ClickHouseClient, 'exec'>

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
  encoder: BatchEncoder
  deadLetters: DeadLetterFile
  metrics: WriterMetrics
  logger: Logger
  retry: RetryPolicy
}

export class TableInserter {
  private readonly statement: string

  constructor(private readonly options: InserterOptions) {
    this.statement = `INSERT INTO ${options.target} FORMAT ${options.encoder.format}`
  }

  async insert(batch: readonly unknown[]): Promise<void> {
    if (batch.length === 0) return
    const { table, metrics, logger, encoder, deadLetters } = this.options
    metrics.batchRows.observe({ table }, batch.length)
    const { body, rows, unencodable } = encoder.encode(batch)
    if (unencodable.length > 0) {
      logger.error({ table, rows: unencodable.length }, 'writer: rows cannot be encoded, dead-lettered')
      await deadLetters.write(unencodable.map(({ value, error }) => ({ table, reason: `unencodable: ${errorMessage(error)}`, value })))
      metrics.deadLettered.inc({ table, reason: 'unencodable' }, unencodable.length)
    }
    if (rows.length > 0) await this.insertOrSplit(rows, body)
  }

  private async insertOrSplit(rows: readonly unknown[], body: Buffer): Promise<void> {
    const { table, metrics, logger, encoder } = this.options
    try {
      await this.insertWithRetry(rows.length, body)
      return
    } catch (error) {
      const reason = classifyInsertError(error)
      if (reason !== 'too_large' && reason !== 'malformed') throw error
      if (rows.length === 1) {
        logger.error({ table, reason, err: error }, 'writer: row rejected by ClickHouse, dead-lettered')
        await this.options.deadLetters.write([{ table, reason: `${reason}: ${errorMessage(error)}`, value: rows[0] }])
        metrics.deadLettered.inc({ table, reason })
        return
      }
      metrics.splits.inc({ table })
      logger.warn({ table, reason, rows: rows.length }, 'writer: batch rejected, inserting halves')
      const middle = rows.length >>> 1
      for (const half of [rows.slice(0, middle), rows.slice(middle)]) await this.insertOrSplit(half, encoder.encode(half).body)
    }
  }

  private async insertWithRetry(rows: number, body: Buffer): Promise<void> {
    const { client, table, metrics, logger } = this.options
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
        metrics.rowsWritten.inc({ table }, rows)
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
