import type { Migration } from './migration.js'

/**
 * PrivpathEvent.domain, the isolation domain an event was ingested under (the key's tenant, ''
 * for the deployment). The detector rebuilds its per-domain state from history, so the store
 * must say which domain each event belongs to; rows written before this step are the
 * deployment's ('').
 */
export const DOMAIN_COLUMN = "domain LowCardinality(String) DEFAULT ''"

export const migration: Migration = {
  version: 6,
  name: 'event_domain',
  statements: (ddl) => {
    const add = (table: string) => `ALTER TABLE ${table}${ddl.onCluster} ADD COLUMN IF NOT EXISTS ${DOMAIN_COLUMN} AFTER tenant_id`
    return ddl.clustered ? [add(ddl.storage('events')), add(ddl.table('events'))] : [add(ddl.table('events'))]
  },
}
