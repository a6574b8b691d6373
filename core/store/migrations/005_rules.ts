import type { Migration } from './migration.js'

/**
 * The rules a privpath process loaded, one row per rule per load. Dashboards and the API read the
 * newest load (`loaded_at = max(loaded_at)`), which is how the rule → framework mapping reaches
 * SQL without parsing YAML. Old loads are kept for a while: they say which rules ran when.
 */
const RULE_COLUMNS = [
  'rule_id LowCardinality(String)',
  'title String',
  'description String',
  'severity LowCardinality(String)',
  'status LowCardinality(String)',
  'frameworks Array(String)',
  'tags Array(String)',
  'file String',
  "loaded_at DateTime64(3, 'UTC')",
] as const

export const migration: Migration = {
  version: 5,
  name: 'rules',
  statements: (ddl) =>
    ddl.createTable({
      name: 'rules',
      columns: [...RULE_COLUMNS],
      engine: 'MergeTree',
      clauses: ['ORDER BY (loaded_at, rule_id)', 'TTL toDateTime(loaded_at) + INTERVAL 90 DAY'],
      // One load is a handful of rows; keeping it on one shard keeps `max(loaded_at)` reads whole.
      shardingKey: '0',
    }),
}
