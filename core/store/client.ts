/**
 * The ClickHouse client every component uses: embedded chDB when no server URL is configured,
 * else a ClickHouse server over HTTP. Both are `@clickhouse/client` clients, so nothing above this
 * file knows which one it talks to.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client'
import { embeddedConnection } from './chdb.js'

export type { ClickHouseClient }

export interface StoreClientConfig {
  data_dir: string
  clickhouse_url: string
  username: string
  password: string
}

/**
 * Settings that make chDB and a server behave the same for our queries: chDB defaults to
 * unquoted 64-bit integers and best-effort date parsing, a server to quoted integers and basic
 * parsing. Pinning both keeps `count()` a JSON number and date parsing strict everywhere.
 */
export const SHARED_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: 'basic',
}

export function isEmbedded(config: Pick<StoreClientConfig, 'clickhouse_url'>): boolean {
  return config.clickhouse_url === ''
}

/** chDB keeps its files under `<data_dir>/clickhouse`; the rest of data_dir belongs to the WAL and outboxes. */
export function embeddedPath(dataDir: string): string {
  return join(dataDir, 'clickhouse')
}

export function createStoreClient(config: StoreClientConfig): ClickHouseClient {
  if (isEmbedded(config)) {
    const path = embeddedPath(config.data_dir)
    mkdirSync(path, { recursive: true })
    return createClient({ connection: embeddedConnection(path, SHARED_SETTINGS) })
  }
  return createClient({
    url: config.clickhouse_url,
    username: config.username,
    password: config.password,
    clickhouse_settings: SHARED_SETTINGS,
  })
}
