/**
 * Inserts one batch into one table, making sure each row ends up either in ClickHouse or in the
 * dead-letter file, or the whole call fails (and the bus redelivers):
 * transient errors retry with backoff; a batch too large is inserted as two halves; a batch with
 * a malformed row is halved until the bad row stands alone, which is then dead-lettered while
 * every good row around it is inserted. Halving costs O(bad rows × log n) extra inserts and only
 * runs after a rejection, so the normal path stays one insert per batch.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import pRetry from 'p-retry'
import type { Logger } from '../core/telemetry.js'
import { classifyInsertError } from './classify.js'
import type { DeadLetterFile } from './dead-letter.js'
import type { WriterMetrics } from './metrics.js'

export type InsertClient = Pick<ClickHouseClient, 'insert'>

export interface Encoded {
  row: unknown
  /** The bus value the row came from; what the dead-letter file keeps. */
  source: unknown
}

export interface RetryPolicy {
  /** Attempts after the first one for transient errors. */
  retries: number
  minTimeoutMs: number
  maxTimeoutMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, minTimeoutMs: 100, maxTimeoutMs: 5_000 }

export interface InserterOptions {
  client: InsertClient
  /** Logical name used in metrics and dead-letter files, e.g. `events`. */
  table: string
  /** Fully qualified name the INSERT targets. */
  target: string
  deadLetters: DeadLetterFile
  metrics: WriterMetrics
  logger: Logger
  retry: RetryPolicy
}

export class TableInserter {
  constructor(private readonly options: InserterOptions) {}

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
    const { client, table, target, metrics, logger, retry } = this.options
    const values = batch.map((e) => e.row)
    await pRetry(
      async () => {
        const stop = metrics.insertSeconds.startTimer({ table })
        try {
          await client.insert({ table: target, values, format: 'JSONEachRow' })
        } catch (error) {
          metrics.failures.inc({ table, reason: classifyInsertError(error) })
          throw error
        }
        stop()
        metrics.rowsWritten.inc({ table }, values.length)
      },
      {
        retries: retry.retries,
        minTimeout: retry.minTimeoutMs,
        maxTimeout: retry.maxTimeoutMs,
        randomize: true,
        shouldRetry: (error) => classifyInsertError(error) === 'transient',
        onFailedAttempt: (error) => {
          if (error.retriesLeft > 0 && classifyInsertError(error) === 'transient') {
            logger.warn({ table, attempt: error.attemptNumber, err: error }, 'writer: insert failed, retrying')
          }
        },
      },
    )
  }
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 500)
}
