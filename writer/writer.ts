/** The writer: one batcher and inserter per table, fed by its bus subscriptions (see index.ts). */
import type { Bus, CoreTopics, Subscription } from '../core/bus/index.js'
import { quoteIdentifier } from '../core/store/ddl.js'
import type { Telemetry } from '../core/telemetry.js'
import { Batcher } from './batcher.js'
import { DeadLetterFile } from './dead-letter.js'
import { alertLines, nativeEvents, type BatchEncoder } from './encode.js'
import { DEFAULT_RETRY, TableInserter, type InsertClient, type RetryPolicy } from './inserter.js'
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

interface TableRoute {
  topic: keyof WriterTopics
  table: string
  encoder: BatchEncoder
  /** Alerts are few and someone is waiting for them: insert at once, on their own connection. */
  immediate: boolean
}

const routes = (): TableRoute[] => [
  { topic: 'events', table: 'events', encoder: nativeEvents(), immediate: false },
  { topic: 'alerts', table: 'alerts', encoder: alertLines, immediate: true },
]

export async function startWriter(options: WriterOptions): Promise<Writer> {
  const { bus, client, database, telemetry, batchRows, flushMs } = options
  const logger = telemetry.logger.child({ component: 'writer' })
  const metrics = writerMetrics(telemetry.registry)
  const deadLetters = new DeadLetterFile(options.deadLetterDir)
  const batchers: Batcher<unknown>[] = []
  const subscriptions: Subscription[] = []

  try {
    for (const route of routes()) {
      const inserter = new TableInserter({
        client: route.immediate ? (options.alertClient ?? client) : client,
        table: route.table,
        target: `${quoteIdentifier(database)}.${quoteIdentifier(route.table)}`,
        encoder: route.encoder,
        deadLetters,
        metrics,
        logger,
        retry: options.retry ?? DEFAULT_RETRY,
      })
      const batcher = new Batcher<unknown>({
        maxRows: batchRows,
        flushMs: route.immediate ? 0 : flushMs,
        flush: (items) => inserter.insert(items),
        onBuffered: (rows) => metrics.buffered.set({ table: route.table }, rows),
      })
      batchers.push(batcher)
      subscriptions.push(
        // Several deliveries in flight let the next batch fill while one is encoded and inserted.
        await bus.subscribe(route.topic, { group: WRITER_GROUP, maxBatch: batchRows, maxInflightBatches: 4, fromBeginning: true }, async (messages) => {
          await batcher.add(messages.map((message) => message.value))
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
