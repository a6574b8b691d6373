/**
 * The store: a ClickHouse client (embedded chDB or a server) and the schema privpath keeps in it.
 * In: store configuration. Out: a `@clickhouse/client` client, versioned migrations, and the row
 * encodings between PrivpathEvent/Alert and ClickHouse rows (Native blocks, JSON).
 * Not here yet: schema downgrades, and moving data between chDB and a server.
 */
export { createStoreClient, isEmbedded, type ClickHouseClient } from './client.js'
export { quoteIdentifier } from './ddl.js'
export { migrate } from './migrate.js'

export { readFirstSeen, recordFirstSeen } from './first-seen.js'
export { recordLoadedRules, type LoadedRule } from './rules.js'
export { EVENT_SELECT, rowToEvent, toMicros } from './rows.js'
