import type { Migration } from './migration.js'

/**
 * Alert.category: `incident` or `posture` (core/alert.ts). The API lists and the console shows
 * posture findings apart from incidents, so the store must say which is which; alerts stored
 * before this step were all incidents.
 */
export const CATEGORY_COLUMN = "category LowCardinality(String) DEFAULT 'incident'"

export const migration: Migration = {
  version: 8,
  name: 'alert_category',
  statements: (ddl) => {
    const add = (table: string) => `ALTER TABLE ${table}${ddl.onCluster} ADD COLUMN IF NOT EXISTS ${CATEGORY_COLUMN} AFTER severity`
    return ddl.clustered ? [add(ddl.storage('alerts')), add(ddl.table('alerts'))] : [add(ddl.table('alerts'))]
  },
}
