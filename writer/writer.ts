/** The writer: one batcher and inserter per table, fed by its bus subscriptions (see index.ts). */
import type { Alert } from '../core/alert.js'
import type { Bus, CoreTopics, Subscription } from '../core/bus/index.js'
import type { PrivpathEvent } from '../core/event.js'
import { quoteIdentifier } from '../core/store/ddl.js'
import { alertToRow, EVENT_INSERT_COLUMNS, writeEventRowBinary } from '../core/store/rows.js'
import type { Telemetry } from '../core/telemetry.js'
import { Batcher } from './batcher.js'
import { DeadLetterFile } from './dead-letter.js'
import { binaryRows, jsonRows, type DeliveryEncoder } from './encode.js'
import { DEFAULT_RETRY, TableInserter, type Encoded, type InsertClient, type RetryPolicy, type RowFormat } from './inserter.js'
import { writerMetrics } from './metrics.js'

const WRITER_GROUP = 'writer'

/** The topics the writer stores. */
type WriterTopics = Pick<CoreTopics, 'events' | 'alerts'>

export interface WriterOptions {
  bus: Bus<WriterTopics>
  /** A ClickHouse client; only `exec` is used, for INSERTs. */
  client: InsertClient
  /**
   * The client alert inserts use (default `client`). Embedded chDB runs one statement per
   * connection at a time, so an alert sharing the events' connection waits for whatever events
   * insert is running; a connection of its own stores it at once.
   */
  alertClient?: InsertClient
  database: string
  telemetry: Telemetry
  /** Most rows per insert (`store.insert_batch_rows`). */
  batchRows: number
  /** Longest a row waits for its batch to fill (`store.insert_flush_ms`); 0 inserts each delivery at once. */
  flushMs: number
  /** Where rows ClickHouse rejects for good are kept, e.g. `<data_dir>/dead-letter`. */
  deadLetterDir: string
  retry?: RetryPolicy
}

export interface Writer {
  /** Stops consuming, inserts everything already received, then resolves. */
  stop(): Promise<void>
}

interface TableRoute<K extends keyof WriterTopics> {
  topic: K
  table: string
  rowFormat: RowFormat
  encode: DeliveryEncoder<WriterTopics[K]>
  /** Alerts are few and someone is waiting for them: insert at once, on their own connection. */
  immediate: boolean
}

const ROUTES = [
  {
    topic: 'events',
    table: 'events',
    // Binary: the cheapest rows for ClickHouse to read and for us to write (bench/store-write.bench.ts).
    rowFormat: { format: 'RowBinary', columns: EVENT_INSERT_COLUMNS },
    encode: binaryRows<PrivpathEvent>(writeEventRowBinary),
    immediate: false,
  } satisfies TableRoute<'events'>,
  {
    topic: 'alerts',
    table: 'alerts',
    rowFormat: { format: 'JSONEachRow' },
    encode: jsonRows<Alert>((a) => JSON.stringify(alertToRow(a))),
    immediate: true,
  } satisfies TableRoute<'alerts'>,
] as const

export async function startWriter(options: WriterOptions): Promise<Writer> {
  const { bus, client, database, telemetry, batchRows, flushMs } = options
  const logger = telemetry.logger.child({ component: 'writer' })
  const metrics = writerMetrics(telemetry.registry)
  const deadLetters = new DeadLetterFile(options.deadLetterDir)
  const batchers: Batcher<Encoded>[] = []
  const subscriptions: Subscription[] = []

  try {
    for (const route of ROUTES) {
      const inserter = new TableInserter({
        client: route.immediate ? (options.alertClient ?? client) : client,
        table: route.table,
        target: `${quoteIdentifier(database)}.${quoteIdentifier(route.table)}`,
        rowFormat: route.rowFormat,
        deadLetters,
        metrics,
        logger,
        retry: options.retry ?? DEFAULT_RETRY,
      })
      const batcher = new Batcher<Encoded>({
        maxRows: batchRows,
        flushMs: route.immediate ? 0 : flushMs,
        flush: (items) => inserter.insert(items),
        onBuffered: (rows) => metrics.buffered.set({ table: route.table }, rows),
      })
      batchers.push(batcher)
      const encode = route.encode as DeliveryEncoder<unknown>
      subscriptions.push(
        // Several deliveries in flight let the next batch be encoded and buffered while one inserts.
        await bus.subscribe(route.topic, { group: WRITER_GROUP, maxBatch: batchRows, maxInflightBatches: 4, fromBeginning: true }, async (messages) => {
          const { rows, unencodable } = encode(messages.map((message) => message.value))
          if (unencodable.length > 0) {
            logger.error({ table: route.table, rows: unencodable.length }, 'writer: rows cannot be encoded, dead-lettered')
            await deadLetters.write(unencodable.map(({ value, error }) => ({ table: route.table, reason: `unencodable: ${(error as Error).message}`, value })))
            metrics.deadLettered.inc({ table: route.table, reason: 'unencodable' }, unencodable.length)
          }
          await batcher.add(rows)
        }),
      )
    }
  } catch (error) {
    await Promise.allSettled(subscriptions.map((s) => s.close()))
    throw error
  }

  let stopping: Promise<void> | undefined
  return {
    stop: () =>
      (stopping ??= (async () => {
        // Drain first so deliveries still in the bus's hands flush at once instead of waiting flushMs.
        const drains = batchers.map((b) => b.drain())
        await Promise.allSettled(subscriptions.map((s) => s.close()))
        const results = await Promise.allSettled([...drains, ...batchers.map((b) => b.drain())])
        const failed = results.find((r) => r.status === 'rejected')
        if (failed) logger.error({ err: (failed as PromiseRejectedResult).reason }, 'writer: final flush failed')
        logger.info('writer stopped')
      })()),
  }
}
