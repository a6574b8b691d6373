import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface WriterMetrics {
  rowsWritten: Counter<'table'>
  insertSeconds: Histogram<'table'>
  batchRows: Histogram<'table'>
  failures: Counter<'table' | 'reason'>
  splits: Counter<'table'>
  deadLettered: Counter<'table' | 'reason'>
  buffered: Gauge<'table'>
}

/** Reuses metrics already in the registry, so a restarted writer in the same process keeps counting. */
function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}

export function writerMetrics(registry: Registry): WriterMetrics {
  const registers = [registry]
  return {
    rowsWritten: metric(registry, 'privpath_writer_rows_written_total', () =>
      new Counter({ name: 'privpath_writer_rows_written_total', help: 'Rows inserted into ClickHouse', labelNames: ['table'], registers }),
    ),
    insertSeconds: metric(registry, 'privpath_writer_insert_duration_seconds', () =>
      new Histogram({
        name: 'privpath_writer_insert_duration_seconds',
        help: 'Duration of successful ClickHouse inserts',
        labelNames: ['table'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
    ),
    batchRows: metric(registry, 'privpath_writer_batch_rows', () =>
      new Histogram({
        name: 'privpath_writer_batch_rows',
        help: 'Rows per batch handed to the inserter',
        labelNames: ['table'],
        buckets: [1, 10, 100, 500, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000],
        registers,
      }),
    ),
    failures: metric(registry, 'privpath_writer_insert_failures_total', () =>
      new Counter({
        name: 'privpath_writer_insert_failures_total',
        help: 'Failed insert attempts by reason (transient, too_large, malformed, fatal)',
        labelNames: ['table', 'reason'],
        registers,
      }),
    ),
    splits: metric(registry, 'privpath_writer_batch_splits_total', () =>
      new Counter({ name: 'privpath_writer_batch_splits_total', help: 'Batches split in halves after a rejection', labelNames: ['table'], registers }),
    ),
    deadLettered: metric(registry, 'privpath_writer_dead_letter_rows_total', () =>
      new Counter({
        name: 'privpath_writer_dead_letter_rows_total',
        help: 'Rows written to the dead-letter file instead of ClickHouse',
        labelNames: ['table', 'reason'],
        registers,
      }),
    ),
    buffered: metric(registry, 'privpath_writer_buffered_rows', () =>
      new Gauge({ name: 'privpath_writer_buffered_rows', help: 'Rows waiting for the next flush', labelNames: ['table'], registers }),
    ),
  }
}
