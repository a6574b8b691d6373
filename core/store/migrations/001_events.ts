import type { Migration } from './migration.js'

/**
 * One column per PrivpathEvent field, same names. A replayed event has the same sorting key
 * (tenant, task, ts, seq, event_id), so ReplacingMergeTree collapses it on merge; readers still
 * deduplicate by event_id because merges happen when they happen.
 */
export const EVENT_COLUMNS_V1 = [
  'event_id String',
  'kind LowCardinality(String)',
  "ts DateTime64(6, 'UTC')",
  'seq UInt32',
  "observed_at DateTime64(3, 'UTC')",
  'tenant_id LowCardinality(String)',
  'task_id String',
  'trace_id String',
  'span_id String',
  'parent_span_id String',
  'agent_id LowCardinality(String)',
  'agent_name LowCardinality(String)',
  'workload_id LowCardinality(String)',
  'user_id String',
  'source LowCardinality(String)',
  'name String',
  'tool_name LowCardinality(String)',
  'tool_call_id String',
  'tool_arguments String CODEC(ZSTD(3))',
  'target_resource String',
  'target_tenant LowCardinality(String)',
  'credential_id String',
  'credential_type LowCardinality(String)',
  'credential_issuer LowCardinality(String)',
  'credential_subject String',
  'credential_scopes Array(String)',
  "credential_expires_at Nullable(DateTime64(3, 'UTC'))",
  'credential_task_id String',
  'authz_result LowCardinality(String)',
  'authz_policy String',
  'authz_engine LowCardinality(String)',
  'authz_action LowCardinality(String)',
  'authz_resource String',
  'delegate_agent_id String',
  'delegate_agent_name String',
  'delegated_scopes Array(String)',
  'approval_result LowCardinality(String)',
  'approval_approver String',
  'approval_action String',
  'content String CODEC(ZSTD(3))',
  'status LowCardinality(String)',
  'error String',
  'flags Array(String)',
  'attributes Map(String, String)',
] as const

export const eventsTtl = (days: number): string => `TTL toDateTime(ts) + INTERVAL ${Math.trunc(days)} DAY`

export const migration: Migration = {
  version: 1,
  name: 'events',
  statements: (ddl) =>
    ddl.createTable({
      name: 'events',
      columns: [
        ...EVENT_COLUMNS_V1,
        'INDEX idx_credential_id credential_id TYPE bloom_filter(0.01) GRANULARITY 4',
        'INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 4',
        'INDEX idx_kind kind TYPE set(16) GRANULARITY 4',
      ],
      engine: 'ReplacingMergeTree',
      clauses: [
        'PARTITION BY toYYYYMMDD(ts)',
        'ORDER BY (tenant_id, task_id, ts, seq, event_id)',
        eventsTtl(ddl.options.eventsTtlDays),
        'SETTINGS ttl_only_drop_parts = 1',
      ],
      // A task's events, and every replay of them, land on one shard so they collapse together.
      shardingKey: 'cityHash64(tenant_id, task_id)',
    }),
}
