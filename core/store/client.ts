/**
 * The ClickHouse client every component uses: embedded chDB when no server URL is configured,
 * else a ClickHouse server over HTTP. Both are `@clickhouse/client` clients, so nothing above this
 * file knows which one it talks to.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'

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

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

/**
 * chdb types its connection against the standalone `@clickhouse/client-common` package while
 * `@clickhouse/client` bundles its own copy of the same declarations; the two are structurally the
 * same contract but TypeScript sees two ClickHouseSettings types.
 */
function chdbConnection(path: string): ClientConnection {
  return createChdbConnection({ path }) as unknown as ClientConnection
}

/**
 * chDB runs settings as `SET …;` statements in front of the query text, and an insert's rows are
 * part of that text: a multi-statement query is lexed whole, which made every insert pay a second
 * pass over its body (about 30 CPU µs per event row, bench/store-write.bench.ts). So statements
 * that carry rows go without SHARED_SETTINGS; neither setting changes how they are read (times
 * travel as JSON integer ticks, not date strings, and nothing is output). Everything else gets
 * them as before.
 */
export function withSettingsForReads(connection: ClientConnection, settings: ClickHouseSettings): ClientConnection {
  const withSettings = <P extends { clickhouse_settings?: ClickHouseSettings }>(params: P): P => ({
    ...params,
    clickhouse_settings: { ...settings, ...params.clickhouse_settings },
  })
  return {
    ping: (params) => connection.ping(params),
    query: (params) => connection.query(withSettings(params)),
    command: (params) => connection.command(withSettings(params)),
    exec: (params) => connection.exec(params.values === undefined ? withSettings(params) : params),
    insert: (params) => connection.insert(params),
    close: () => connection.close(),
  }
}

export function createStoreClient(config: StoreClientConfig): ClickHouseClient {
  if (isEmbedded(config)) {
    const path = embeddedPath(config.data_dir)
    mkdirSync(path, { recursive: true })
    return createClient({ connection: withSettingsForReads(chdbConnection(path), SHARED_SETTINGS) })
  }
  return createClient({
    url: config.clickhouse_url,
    username: config.username,
    password: config.password,
    clickhouse_settings: SHARED_SETTINGS,
  })
}
