/**
 * The scale bench's steps that open the store themselves, each run in a child process: chDB binds
 * one data directory per process, and `privpath up` must open the same one in between.
 * - fill: migrate a fresh store, fill it (fill.ts), report time, CPU and storage per table;
 * - panels: time every Grafana panel and variable query on it (panels.ts).
 * The store is the one `privpath up` would open: PRIVPATH_CLICKHOUSE_URL (and _USER, _PASSWORD,
 * _DATABASE) for a server, else chDB under the data directory.
 */
import { loadConfig } from '../../core/config/load.js'
import { createStoreClient, type ClickHouseClient } from '../../core/store/client.js'
import { migrate } from '../../core/store/migrate.js'
import { fillStatements, type ScaleShape } from './fill.js'
import { panelQueries } from './panels.js'
import { latency, type Latency } from './stats.js'

export function openStore(dataDir: string): { client: ClickHouseClient; database: string; embedded: boolean } {
  const { store } = loadConfig({ env: process.env, overrides: [{ path: ['store', 'data_dir'], value: dataDir }] })
  return { client: createStoreClient(store), database: store.database, embedded: store.clickhouse_url === '' }
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}

interface TableSize {
  table: string
  rows: number
  bytes: number
}

export interface FillResult {
  events: number
  tasks: number
  alerts: number
  wallMs: number
  /** This process's CPU (chDB's threads included); 0 against a server, whose CPU is elsewhere. */
  cpuMs: number
  statements: Array<{ wallMs: number }>
  /** After the inserts, until no merge had run for a few seconds: a store that has been up a while. */
  mergeMs: number
  tables: TableSize[]
}

/** Waits until the store has run no merge for three polls in a row (at most 15 minutes). */
async function settle(client: ClickHouseClient, database: string): Promise<number> {
  const started = performance.now()
  let quiet = 0
  while (quiet < 3 && performance.now() - started < 15 * 60_000) {
    const merging = await count(client, `SELECT count() AS n FROM system.merges WHERE database = '${database}'`)
    quiet = merging === 0 ? quiet + 1 : 0
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  return performance.now() - started
}

async function count(client: ClickHouseClient, query: string): Promise<number> {
  const result = await client.query({ query, format: 'JSONEachRow' })
  return Number((await result.json<{ n: number | string }>())[0].n)
}

export async function fill(dataDir: string, shape: ScaleShape): Promise<FillResult> {
  const { client, database, embedded } = openStore(dataDir)
  try {
    await migrate(client, { database, eventsTtlDays: Math.max(30, shape.days + 1) })
    const cpu = process.cpuUsage()
    const started = performance.now()
    const statements: Array<{ wallMs: number }> = []
    for (const query of fillStatements(database, shape)) {
      const at = performance.now()
      await client.command({ query })
      statements.push({ wallMs: performance.now() - at })
    }
    const wallMs = performance.now() - started
    const used = embedded ? cpuMs(cpu) : 0
    const mergeMs = await settle(client, database)
    const sizes = await client.query({
      query: `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
WHERE database = {db:String} AND active GROUP BY table ORDER BY table`,
      query_params: { db: database },
      format: 'JSONEachRow',
    })
    const tables = (await sizes.json<{ table: string; rows: number | string; bytes: number | string }>()).map((t) => ({ table: t.table, rows: Number(t.rows), bytes: Number(t.bytes) }))
    return {
      events: await count(client, `SELECT count() AS n FROM ${database}.events`),
      tasks: await count(client, `SELECT uniqExact(tenant_id, task_id) AS n FROM ${database}.task_times`),
      alerts: await count(client, `SELECT count() AS n FROM ${database}.alerts`),
      wallMs,
      cpuMs: used,
      mergeMs,
      statements,
      tables,
    }
  } finally {
    await client.close()
  }
}

export interface PanelTiming {
  name: string
  tenant: string
  rows: number
  latency: Latency
}

/** Every panel and variable over the dashboards' default range (the last 6 hours), for all tenants and for one. */
export async function panels(dataDir: string, runs: number): Promise<PanelTiming[]> {
  const { client, database } = openStore(dataDir)
  try {
    const newest = await client.query({
      query: `SELECT toUnixTimestamp64Milli(max(last_seen)) AS now, argMax(task_id, started_at) AS task, argMax(tenant_id, started_at) AS tenant
FROM ${database}.task_times WHERE started_at <= (SELECT max(started_at) - INTERVAL 10 MINUTE FROM ${database}.task_times)`,
      format: 'JSONEachRow',
    })
    const [{ now, task, tenant }] = await newest.json<{ now: number | string; task: string; tenant: string }>()
    const range = { from: Number(now) - 6 * 3_600_000, to: Number(now) }
    const out: PanelTiming[] = []
    for (const scope of ['*', tenant]) {
      for (const panel of panelQueries(range, { database, tenant: scope, task_id: task })) {
        const samples: number[] = []
        let rows = 0
        for (let i = 0; i < runs; i++) {
          const started = performance.now()
          const result = await client.query({ query: panel.sql, format: 'JSONEachRow' })
          rows = (await result.json()).length
          samples.push(performance.now() - started)
        }
        out.push({ name: panel.name, tenant: scope, rows, latency: latency(samples) })
      }
    }
    return out
  } finally {
    await client.close()
  }
}
