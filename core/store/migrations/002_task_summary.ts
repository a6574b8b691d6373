import type { Migration } from './migration.js'

/** A task's summary columns after its key; 009 keeps the same summary per hour. */
export const SUMMARY_COLUMNS = [
  "started_at SimpleAggregateFunction(min, DateTime64(6, 'UTC'))",
  "ended_at SimpleAggregateFunction(max, Nullable(DateTime64(6, 'UTC')))",
  "last_seen SimpleAggregateFunction(max, DateTime64(6, 'UTC'))",
  'kind_counts AggregateFunction(uniqExactMap, Map(String, String))',
  'agents SimpleAggregateFunction(groupUniqArrayArray, Array(String))',
  'agent_names SimpleAggregateFunction(groupUniqArrayArray, Array(String))',
  'tools SimpleAggregateFunction(groupUniqArrayArray, Array(String))',
  'target_tenants SimpleAggregateFunction(groupUniqArrayArray, Array(String))',
  'credential_ids SimpleAggregateFunction(groupUniqArrayArray, Array(String))',
  'has_error SimpleAggregateFunction(max, UInt8)',
] as const

/** The events → SUMMARY_COLUMNS aggregation, in column order. */
export const SUMMARY_AGGREGATES = `min(ts) AS started_at,
  max(if(kind = 'task_end', toNullable(ts), NULL)) AS ended_at,
  max(ts) AS last_seen,
  uniqExactMapState(map(toString(kind), event_id)) AS kind_counts,
  groupUniqArrayArray(if(agent_id = '', [], [toString(agent_id)])) AS agents,
  groupUniqArrayArray(if(agent_name = '', [], [toString(agent_name)])) AS agent_names,
  groupUniqArrayArray(if(tool_name = '', [], [toString(tool_name)])) AS tools,
  groupUniqArrayArray(if(target_tenant = '', [], [toString(target_tenant)])) AS target_tenants,
  groupUniqArrayArray(if(credential_id = '', [], [credential_id])) AS credential_ids,
  max(toUInt8(status = 'error')) AS has_error`

/**
 * One row per (tenant, task), kept by a materialized view from events. Every aggregate is one
 * that a duplicate insert cannot skew: min/max/unique sets, and per-kind counts as the number of
 * distinct event ids per kind (`uniqExactMap`), so a replayed event counts once.
 */
export const migration: Migration = {
  version: 2,
  name: 'task_summary',
  statements: (ddl) => [
    ...ddl.createTable({
      name: 'task_summary',
      columns: ['tenant_id LowCardinality(String)', 'task_id String', ...SUMMARY_COLUMNS],
      engine: 'AggregatingMergeTree',
      clauses: [
        'ORDER BY (tenant_id, task_id)',
        `TTL toDateTime(last_seen) + INTERVAL ${Math.trunc(ddl.options.eventsTtlDays)} DAY`,
      ],
      shardingKey: 'cityHash64(tenant_id, task_id)',
    }),
    ddl.createMaterializedView(
      'task_summary_mv',
      'events',
      'task_summary',
      `SELECT
  tenant_id,
  task_id,
  ${SUMMARY_AGGREGATES}
FROM {source}
GROUP BY tenant_id, task_id`,
    ),
  ],
}
