/**
 * Brings a database to the newest schema: applies every migration not yet recorded in
 * `schema_migrations`, then aligns retention with the configured TTL. Safe to run on every start
 * and from several processes at once (every statement is idempotent).
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { Ddl, type DdlOptions } from './ddl.js'
import { eventsTtl } from './migrations/001_events.js'
import { taskHoursTtl, taskTimesTtl } from './migrations/009_task_listing.js'
import { MIGRATIONS, type Migration } from './migrations/index.js'

export interface MigrateOptions {
  database: string
  /** Empty or absent for a single server or chDB. */
  cluster?: string
  eventsTtlDays: number
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[]
  /** Highest version now recorded. */
  current: number
  /** Tables whose TTL this call changed to match `eventsTtlDays`. */
  retentionChanged: string[]
}

export interface PlannedMigration {
  version: number
  name: string
  statements: string[]
}

function ddlFor(options: MigrateOptions): Ddl {
  const ddl: DdlOptions = { database: options.database, cluster: options.cluster ?? '', eventsTtlDays: options.eventsTtlDays }
  if (!Number.isInteger(ddl.eventsTtlDays) || ddl.eventsTtlDays < 1) {
    throw new Error(`eventsTtlDays must be a positive integer, got ${options.eventsTtlDays}`)
  }
  return new Ddl(ddl)
}

/** Statements that create the bookkeeping table; on a cluster every node replicates one copy of it. */
function bootstrapStatements(ddl: Ddl): string[] {
  return [
    ddl.createDatabase(),
    [
      `CREATE TABLE IF NOT EXISTS ${ddl.table('schema_migrations')}${ddl.onCluster}`,
      "(version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))",
      `ENGINE = ${ddl.engine('ReplacingMergeTree', '', '/clickhouse/tables/all/{database}/{table}')}`,
      'ORDER BY version',
    ].join('\n'),
  ]
}

/** The full DDL for a configuration, without running it: what `migrate` would execute on an empty database. */
export function plan(options: MigrateOptions, migrations: readonly Migration[] = MIGRATIONS): PlannedMigration[] {
  const ddl = ddlFor(options)
  return [
    { version: 0, name: 'bootstrap', statements: bootstrapStatements(ddl) },
    ...migrations.map((m) => ({ version: m.version, name: m.name, statements: m.statements(ddl) })),
  ]
}

export async function appliedVersions(client: ClickHouseClient, database: string): Promise<number[]> {
  const ddl = new Ddl({ database, cluster: '', eventsTtlDays: 1 })
  const result = await client.query({
    query: `SELECT DISTINCT version FROM ${ddl.table('schema_migrations')} ORDER BY version`,
    format: 'JSONEachRow',
  })
  return (await result.json<{ version: number | string }>()).map((r) => Number(r.version))
}

export async function migrate(
  client: ClickHouseClient,
  options: MigrateOptions,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const versions = migrations.map((m) => m.version)
  if (versions.some((v, i) => i > 0 && v <= versions[i - 1])) throw new Error('migrations must have increasing versions')
  const ddl = ddlFor(options)
  for (const statement of bootstrapStatements(ddl)) await client.command({ query: statement })

  const done = new Set(await appliedVersions(client, options.database))
  const applied: number[] = []
  for (const migration of migrations) {
    if (done.has(migration.version)) continue
    for (const statement of migration.statements(ddl)) await client.command({ query: statement })
    await client.insert({
      table: ddl.table('schema_migrations'),
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    })
    applied.push(migration.version)
  }
  const retentionChanged = await alignRetention(client, ddl)
  return { applied, current: Math.max(0, ...done, ...applied), retentionChanged }
}

/** TTLs are part of the first CREATE; when the configured retention changes later, ALTER to match. */
async function alignRetention(client: ClickHouseClient, ddl: Ddl): Promise<string[]> {
  const days = ddl.options.eventsTtlDays
  // Each table's TTL expression, and the interval that says it is already the configured one.
  const wanted: Record<string, [string, number]> = {
    events: [eventsTtl(days).replace(/^TTL /, ''), days],
    task_summary: [`toDateTime(last_seen) + INTERVAL ${days} DAY`, days],
    task_hours: [taskHoursTtl(days), days + 1],
    task_times: [taskTimesTtl(days), days],
  }
  const names = Object.keys(wanted).map((n) => (ddl.clustered ? `${n}_local` : n))
  const result = await client.query({
    query: 'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)} ORDER BY name',
    query_params: { db: ddl.options.database, names },
    format: 'JSONEachRow',
  })
  const changed: string[] = []
  for (const { name, engine_full } of await result.json<{ name: string; engine_full: string }>()) {
    const logical = name.replace(/_local$/, '')
    const [ttl, interval] = wanted[logical]
    if (engine_full.includes(`toIntervalDay(${interval})`)) continue
    await client.command({ query: `ALTER TABLE ${ddl.storage(logical)}${ddl.onCluster} MODIFY TTL ${ttl}` })
    changed.push(logical)
  }
  return changed
}
