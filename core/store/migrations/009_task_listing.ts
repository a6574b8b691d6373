import type { Ddl } from '../ddl.js'
import { SUMMARY_AGGREGATES, SUMMARY_COLUMNS } from './002_task_summary.js'
import type { Migration } from './migration.js'

/**
 * Two tables that let a task list read the tasks it shows instead of every task in the store
 * (api/queries/task-list.ts), each kept by a materialized view from events:
 *
 * - `task_hours`: the summary of 002, one row per (tenant, hour, task) for every hour a task had
 *   events in, keyed by time in granules of 1024 rows. A list reads the newest hours first; a
 *   task that started inside the hours read has all of its rows there, so its summary is whole.
 * - `task_times`: each task's start, end and last activity, keyed by task in small granules (256
 *   rows, in compressed blocks of at most 16 KiB), so looking up the few hundred candidates of a
 *   page reads a few hundred small granules, not task_summary's million rows. It is what tells a
 *   task that started inside the hours read from one that started earlier.
 *
 * Rows written before this step are backfilled: task_times from task_summary, task_hours from
 * events, one task-hash slice per statement so no statement holds every task's aggregation state.
 * Every aggregate is min/max or a unique set, so a backfill that runs again (an interrupted
 * migration) or meets rows the views already wrote changes no summary.
 */
export const taskHoursTtl = (days: number): string => `hour + INTERVAL ${Math.trunc(days) + 1} DAY`
export const taskTimesTtl = (days: number): string => `toDateTime(last_seen) + INTERVAL ${Math.trunc(days)} DAY`

const HOUR_SUMMARY = `tenant_id,
  toStartOfHour(ts) AS hour,
  task_id,
  ${SUMMARY_AGGREGATES}`

const BACKFILL_SLICES = 8

export const migration: Migration = {
  version: 9,
  name: 'task_listing',
  statements: (ddl) => [
    ...ddl.createTable({
      name: 'task_hours',
      columns: ['tenant_id LowCardinality(String)', "hour DateTime('UTC')", 'task_id String', ...SUMMARY_COLUMNS],
      engine: 'AggregatingMergeTree',
      clauses: [
        'PARTITION BY toYYYYMMDD(hour)',
        'ORDER BY (tenant_id, hour, task_id)',
        // A day longer than events, so the hours of a task that started 30 days ago stay whole.
        `TTL ${taskHoursTtl(ddl.options.eventsTtlDays)}`,
        // A page's summaries deserialize the aggregation states of whole granules: smaller ones, fewer states.
        'SETTINGS ttl_only_drop_parts = 1, index_granularity = 1024',
      ],
      shardingKey: 'cityHash64(tenant_id, task_id)',
    }),
    ...ddl.createTable({
      name: 'task_times',
      // started_at, ended_at, last_seen
      columns: ['tenant_id LowCardinality(String)', 'task_id String', ...SUMMARY_COLUMNS.slice(0, 3)],
      engine: 'AggregatingMergeTree',
      clauses: [
        'ORDER BY (tenant_id, task_id)',
        `TTL ${taskTimesTtl(ddl.options.eventsTtlDays)}`,
        // A lookup decompresses the blocks its granule is in: small granules in small blocks.
        'SETTINGS index_granularity = 256, min_compress_block_size = 4096, max_compress_block_size = 16384',
      ],
      shardingKey: 'cityHash64(tenant_id, task_id)',
    }),
    ddl.createMaterializedView('task_hours_mv', 'events', 'task_hours', `SELECT\n  ${HOUR_SUMMARY}\nFROM {source}\nGROUP BY tenant_id, hour, task_id`),
    ddl.createMaterializedView(
      'task_times_mv',
      'events',
      'task_times',
      `SELECT tenant_id, task_id, min(ts) AS started_at, max(if(kind = 'task_end', toNullable(ts), NULL)) AS ended_at, max(ts) AS last_seen
FROM {source}
GROUP BY tenant_id, task_id`,
    ),
    `INSERT INTO ${ddl.table('task_times')}\nSELECT tenant_id, task_id, started_at, ended_at, last_seen FROM ${ddl.table('task_summary')}${onShards(ddl)}`,
    ...Array.from(
      { length: BACKFILL_SLICES },
      (_, slice) =>
        `INSERT INTO ${ddl.table('task_hours')}\nSELECT\n  ${HOUR_SUMMARY}\nFROM ${ddl.table('events')}\nWHERE cityHash64(task_id) % ${BACKFILL_SLICES} = ${slice}\nGROUP BY tenant_id, hour, task_id${onShards(ddl)}`,
    ),
  ],
}

/**
 * On a cluster, a backfill from one Distributed table into another sharded the same way runs on
 * every shard, local table to local table, instead of pulling every row through one node.
 */
function onShards(ddl: Ddl): string {
  return ddl.clustered ? '\nSETTINGS parallel_distributed_insert_select = 2' : ''
}
