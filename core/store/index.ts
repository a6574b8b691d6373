/**
 * The store: a ClickHouse client (embedded chDB or a server) and the schema privpath keeps in it.
 * In: store configuration. Out: a `@clickhouse/client` client, versioned migrations, and the row
 * encodings between PrivpathEvent/Alert and ClickHouse JSONEachRow rows.
 * Not here yet: schema downgrades, and moving data between chDB and a server.
 */
export { createStoreClient, embeddedPath, isEmbedded, SHARED_SETTINGS, type ClickHouseClient, type StoreClientConfig } from './client.js'
export { Ddl, quoteIdentifier, type DdlOptions, type TableSpec } from './ddl.js'
export { appliedVersions, bootstrapStatements, migrate, plan, type MigrateOptions, type MigrateResult, type PlannedMigration } from './migrate.js'
export { MIGRATIONS, type Migration } from './migrations/index.js'
export { readLoadedRules, recordLoadedRules, type LoadedRule } from './rules.js'
export { ALERT_SELECT, alertToRow, EVENT_INSERT_COLUMNS, EVENT_SELECT, eventToCompactRow, eventToRow, RowEncodingError, rowToAlert, rowToEvent, toMicros, toMillis, type AlertRow, type EventRow } from './rows.js'
