import type { Migration } from './migration.js'

/**
 * What the detector has seen per isolation domain and tenant (detector/state/first-seen.ts), so
 * "first seen" survives restarts: agents (`hash` = `learning` | `established`), MCP servers and
 * tools an agent used, delegation edges, and the definitions of the tools offered to it (one row
 * per definition hash, `detail` = the definition). A fact is written when first seen and again at
 * most once a day while it keeps being seen; rows of one fact collapse on merge (the latest
 * `seen_at` wins), and a fact not seen for FIRST_SEEN_TTL_DAYS leaves, so the table stays bounded
 * by what is in use.
 */
const FIRST_SEEN_TTL_DAYS = 90

const FIRST_SEEN_COLUMNS = [
  'domain LowCardinality(String)',
  'tenant_id LowCardinality(String)',
  'kind LowCardinality(String)',
  'subject String',
  'object String',
  'hash String',
  'detail String CODEC(ZSTD(3))',
  "first_seen DateTime64(3, 'UTC')",
  "seen_at DateTime64(3, 'UTC')",
] as const

export const migration: Migration = {
  version: 10,
  name: 'first_seen',
  statements: (ddl) =>
    ddl.createTable({
      name: 'first_seen',
      columns: [...FIRST_SEEN_COLUMNS],
      engine: 'ReplacingMergeTree',
      engineArgs: 'seen_at',
      clauses: ['ORDER BY (domain, tenant_id, kind, subject, object, hash)', `TTL toDateTime(seen_at) + INTERVAL ${FIRST_SEEN_TTL_DAYS} DAY`],
      // an agent's facts on one shard: the rows of one fact collapse together
      shardingKey: 'cityHash64(domain, tenant_id, subject)',
    }),
}
