import type { Migration } from './migration.js'

/**
 * Lifecycle per credential, kept by a materialized view from credential events. Rows are per
 * (credential, tenant whose task emitted the event): a tenant reads only what its own tasks did
 * with a credential, and an admin merges every tenant's row, which is how a credential issued in
 * one tenant and used in another shows up as one lifecycle.
 */
export const migration: Migration = {
  version: 3,
  name: 'credentials',
  statements: (ddl) => [
    ...ddl.createTable({
      name: 'credentials',
      columns: [
        'credential_id String',
        'tenant_id LowCardinality(String)',
        'issuing_task_id SimpleAggregateFunction(max, String)',
        'credential_type SimpleAggregateFunction(max, String)',
        'credential_issuer SimpleAggregateFunction(max, String)',
        'credential_subject SimpleAggregateFunction(max, String)',
        'credential_scopes SimpleAggregateFunction(groupUniqArrayArray, Array(String))',
        "issued_at SimpleAggregateFunction(min, Nullable(DateTime64(6, 'UTC')))",
        "expires_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))",
        "revoked_at SimpleAggregateFunction(min, Nullable(DateTime64(6, 'UTC')))",
        'used_tasks AggregateFunction(uniqExact, String)',
        'uses AggregateFunction(uniqExact, String)',
        "first_used_at SimpleAggregateFunction(min, Nullable(DateTime64(6, 'UTC')))",
        "last_used_at SimpleAggregateFunction(max, Nullable(DateTime64(6, 'UTC')))",
        "last_seen SimpleAggregateFunction(max, DateTime64(6, 'UTC'))",
      ],
      engine: 'AggregatingMergeTree',
      clauses: ['ORDER BY (credential_id, tenant_id)'],
      shardingKey: 'cityHash64(credential_id)',
    }),
    ddl.createMaterializedView(
      'credentials_mv',
      'events',
      'credentials',
      `SELECT
  credential_id,
  tenant_id,
  max(if(kind = 'credential_issued', if(credential_task_id = '', task_id, credential_task_id), '')) AS issuing_task_id,
  max(if(kind = 'credential_issued', toString(credential_type), '')) AS credential_type,
  max(if(kind = 'credential_issued', toString(credential_issuer), '')) AS credential_issuer,
  max(if(kind = 'credential_issued', credential_subject, '')) AS credential_subject,
  groupUniqArrayArray(if(kind = 'credential_issued', credential_scopes, [])) AS credential_scopes,
  min(if(kind = 'credential_issued', toNullable(ts), NULL)) AS issued_at,
  max(credential_expires_at) AS expires_at,
  min(if(kind = 'credential_revoked', toNullable(ts), NULL)) AS revoked_at,
  uniqExactIfState(task_id, kind = 'credential_used') AS used_tasks,
  uniqExactIfState(event_id, kind = 'credential_used') AS uses,
  min(if(kind = 'credential_used', toNullable(ts), NULL)) AS first_used_at,
  max(if(kind = 'credential_used', toNullable(ts), NULL)) AS last_used_at,
  max(ts) AS last_seen
FROM {source}
WHERE credential_id != '' AND kind IN ('credential_issued', 'credential_used', 'credential_revoked')
GROUP BY credential_id, tenant_id`,
    ),
  ],
}
