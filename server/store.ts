/**
 * The store as the roles of one process share it: one client, migrated before any role starts,
 * and extra connections for work that must not queue behind other statements.
 */
import type { Config } from '../core/config/schema.js'
import { createStoreClient, isEmbedded, migrate, type ClickHouseClient } from '../core/store/index.js'

export interface StoreAccess {
  client: ClickHouseClient
  /**
   * A connection of its own for one kind of work. Embedded chDB runs one statement per connection at a time, so
   * each purpose gets its own (closed with the store); a server's HTTP pool already runs
   * statements side by side, so there it is the shared client.
   */
  connection(): ClickHouseClient
  close(): Promise<void>
}

/** Opens the store and applies pending migrations; closes it again when they fail. */
export async function openStore(config: Config['store']): Promise<StoreAccess> {
  const client = createStoreClient(config)
  const extra: ClickHouseClient[] = []
  const store: StoreAccess = {
    client,
    connection() {
      if (!isEmbedded(config)) return client
      const own = createStoreClient(config)
      extra.push(own)
      return own
    },
    async close() {
      for (const own of extra.splice(0).reverse()) await own.close()
      await client.close()
    },
  }
  try {
    await migrate(client, { database: config.database, cluster: config.cluster, eventsTtlDays: config.events_ttl_days })
  } catch (error) {
    await client.close()
    throw error
  }
  return store
}
