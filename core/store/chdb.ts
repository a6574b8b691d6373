/**
 * The `@clickhouse/client` connection to embedded chDB, adjusted where chDB's SQL-text interface
 * makes the generic path slow (figures from bench/store-write.bench.ts, per event row):
 * - chDB splices an insert's rows into the query text after its settings' `SET …;` statements,
 *   and a multi-statement text is lexed whole, rows included (~50 CPU µs);
 * - even without settings, splicing copies the body into the SQL string and parses it back out
 *   (~6 CPU µs), while chDB's raw insert hands the bytes to the format parser directly.
 * So statements that carry rows go through the raw insert, without settings that only matter for
 * reads; every other statement gets the read settings as before. chdb's raw insert takes text
 * formats only, so Native bodies (the writer's events) go through a spool file and
 * `INSERT … FROM INFILE` (chdb-infile.ts).
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { ClickHouseError, createClient, parseError, type ClickHouseSettings } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { infileInserter } from './chdb-infile.js'

export type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

type TextFormat = 'JSONEachRow' | 'JSONCompactEachRow'
type RawInsertFormat = TextFormat | 'Native'

interface RawInsert {
  rawInsert(params: {
    table: string
    values: Buffer
    format: TextFormat
    columns?: readonly string[]
    settings?: Record<string, string | number | boolean>
  }): Promise<unknown>
}

/** What `@clickhouse/client` sends for `insert`, and what the writer sends through `exec`. */
const INSERT_STATEMENT = /^INSERT INTO (\S+)(?: \(([^()]*)\))? FORMAT (JSONEachRow|JSONCompactEachRow|Native)$/

interface ParsedInsert {
  table: string
  columns?: string[]
  format: RawInsertFormat
}

export function parseInsert(query: string): ParsedInsert | undefined {
  const match = INSERT_STATEMENT.exec(query.trim())
  if (!match) return undefined
  // The raw insert quotes names itself and takes only plain identifiers.
  const unquote = (name: string) => name.trim().replace(/^`(\w+)`$/, '$1')
  const table = match[1].split('.').map(unquote)
  const columns = match[2]?.split(',').map(unquote)
  if (![...table, ...(columns ?? [])].every((name) => /^\w+$/.test(name))) return undefined
  return { table: table.join('.'), format: match[3] as RawInsertFormat, ...(columns ? { columns } : {}) }
}

/** The body as one Buffer; byte chunks are viewed, not copied, and a body of one chunk is that chunk. */
async function readBody(values: unknown): Promise<Buffer> {
  if (typeof values === 'string') return Buffer.from(values)
  const chunks: Buffer[] = []
  for await (const chunk of values as AsyncIterable<string | Uint8Array>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
}

function definedSettings(settings: ClickHouseSettings | undefined): Record<string, string | number | boolean> | undefined {
  if (!settings) return undefined
  const defined = Object.entries(settings).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
  return defined.length === 0 ? undefined : Object.fromEntries(defined)
}

/**
 * chDB's raw-insert errors carry the ClickHouse message but not the client's error shape, and its
 * statements raise the error class of `@clickhouse/client-common`, not `@clickhouse/client`'s: an
 * insert fails with the same class whichever way it went.
 */
function asClickHouseError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof ClickHouseError) return error
  const { code, type } = error as Error & { code?: unknown; type?: unknown }
  if (typeof code === 'string' && /^\d+$/.test(code)) return Object.assign(new ClickHouseError({ message: error.message, code, type: typeof type === 'string' ? type : undefined }), { cause: error })
  if (!/^Code: \d+\./.test(error.message)) return error
  const parsed = parseError(error.message)
  if (parsed !== error) parsed.cause = error
  return parsed
}

export function embeddedConnection(path: string, readSettings: ClickHouseSettings): ClientConnection {
  // chdb types its connection against the standalone `@clickhouse/client-common` package while
  // `@clickhouse/client` bundles its own copy: the same contract, two ClickHouseSettings types.
  const chdb = createChdbConnection({ path }) as unknown as ClientConnection & { chdb: RawInsert }
  const withReadSettings = <P extends { clickhouse_settings?: ClickHouseSettings }>(params: P): P => ({
    ...params,
    clickhouse_settings: { ...readSettings, ...params.clickhouse_settings },
  })
  const binary = infileInserter((query, settings) => chdb.command({ query, clickhouse_settings: settings }))
  const rawInsert = async (insert: ParsedInsert, params: { values: unknown; clickhouse_settings?: ClickHouseSettings; query_id?: string }) => {
    const values = await readBody(params.values)
    if (values.length > 0) {
      const { format } = insert
      const inserted =
        format === 'Native'
          ? binary.insert({ ...insert, format, values, settings: params.clickhouse_settings })
          : chdb.chdb.rawInsert({ ...insert, format, values, settings: definedSettings(params.clickhouse_settings) })
      await inserted.catch((error: unknown) => {
        throw asClickHouseError(error)
      })
    }
    return { query_id: params.query_id ?? randomUUID(), response_headers: {}, http_status_code: 200 }
  }
  return {
    ping: (params) => chdb.ping(params),
    query: (params) => chdb.query(withReadSettings(params)),
    command: (params) => chdb.command(withReadSettings(params)),
    exec: async (params) => {
      const insert = params.values === undefined ? undefined : parseInsert(params.query)
      if (!insert) return chdb.exec(params.values === undefined ? withReadSettings(params) : params)
      return { ...(await rawInsert(insert, { ...params, values: params.values })), stream: Readable.from([]) }
    },
    insert: async (params) => {
      const insert = parseInsert(params.query)
      return insert ? rawInsert(insert, params) : chdb.insert(params)
    },
    close: async () => {
      await binary.close()
      await chdb.close()
    },
  }
}
