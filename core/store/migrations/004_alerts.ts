import type { Migration } from './migration.js'

/** Columns of core/alert.ts Alert. Every version is inserted; the newest `updated_at` wins. */
export const ALERT_COLUMNS = [
  'alert_id String',
  'rule_id LowCardinality(String)',
  'rule_title String',
  'severity LowCardinality(String)',
  'tenant_id LowCardinality(String)',
  'task_id String',
  'agent_id String',
  'summary String',
  'path String',
  'dedup_key String',
  'event_ids Array(String)',
  'frameworks Array(String)',
  'tags Array(String)',
  'runbook String',
  'count UInt32',
  "first_seen DateTime64(6, 'UTC')",
  "last_seen DateTime64(6, 'UTC')",
  "window_start DateTime64(6, 'UTC')",
  "updated_at DateTime64(6, 'UTC')",
] as const

export const migration: Migration = {
  version: 4,
  name: 'alerts',
  statements: (ddl) =>
    ddl.createTable({
      name: 'alerts',
      columns: [...ALERT_COLUMNS, 'INDEX idx_task_id task_id TYPE bloom_filter(0.01) GRANULARITY 4'],
      engine: 'ReplacingMergeTree',
      engineArgs: 'updated_at',
      // window_start is part of the alert id, so every version of an alert stays in one partition.
      clauses: ['PARTITION BY toYYYYMM(window_start)', 'ORDER BY (tenant_id, alert_id)'],
      shardingKey: 'cityHash64(alert_id)',
    }),
}
