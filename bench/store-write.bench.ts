/**
 * The store write path on realistic rows: events from the agent-task fixture (decode → map →
 * correlate), encoded per candidate body format, then inserted into chDB the way the writer does
 * (`exec` with an encoded body, which the embedded connection hands to chDB's raw insert). Side by
 * side in one run: encode CPU µs and bytes per event, and insert wall ms and CPU µs per event (chDB's
 * threads included) with and without the materialized views, for several batch sizes.
 * `generic+SET` is what every insert did before core/store/chdb.ts: chdb's generic connection, which
 * splices the rows into the SQL text behind the shared settings' `SET` statements.
 *
 *   npm run bench:store [-- --tasks 2000 --batches 5000,20000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTraces } from '../collector/otlp/decode.js'
import type { PrivpathEvent } from '../core/event.js'
import { createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { createStoreClient, embeddedPath, SHARED_SETTINGS, type ClickHouseClient } from '../core/store/client.js'
import { migrate } from '../core/store/migrate.js'
import { EVENT_INSERT_COLUMNS, eventToCompactRow, eventToRow } from '../core/store/rows.js'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    batches: { type: 'string', default: '5000,20000' },
    encodings: { type: 'string', default: '' },
  },
})

const { bodies, spanCount } = agentTaskRequests({ tasks: Number(args.tasks), spansPerRequest: 200, tenants: 4, seed: 7 })
const correlator = new Correlator({ maxHeldSpans: 1_000_000, maxKnownSpans: 1_000_000 })
const events: PrivpathEvent[] = bodies
  .flatMap((b) => correlator.add(mapTraceRequest(decodeTraces(b, 'protobuf').request, { authTenant: '', observedAt: Date.now() }), Date.now()))
  .flatMap((r) => r.events)

interface Encoding {
  format: string
  columns?: readonly string[]
  line: (e: PrivpathEvent) => string
  /** Through chdb's generic connection with the shared settings, as before core/store/chdb.ts. */
  generic?: boolean
}

const ENCODINGS: Record<string, Encoding> = {
  'JSONEachRow generic+SET': { format: 'JSONEachRow', line: (e) => JSON.stringify(eventToRow(e)), generic: true },
  'JSONEachRow full': { format: 'JSONEachRow', line: (e) => JSON.stringify(eventToRow(e)) },
  'JSONEachRow sparse': {
    format: 'JSONEachRow',
    line: (e) => {
      const row = eventToRow(e) as unknown as Record<string, unknown>
      const sparse: Record<string, unknown> = {}
      for (const k in row) {
        const v = row[k]
        if (v === '' || v === null || (Array.isArray(v) && v.length === 0)) continue
        sparse[k] = v
      }
      return JSON.stringify(sparse)
    },
  },
  JSONCompactEachRow: { format: 'JSONCompactEachRow', columns: EVENT_INSERT_COLUMNS, line: eventToCompactRow },
}

const selected = args.encodings ? args.encodings.split(',') : Object.keys(ENCODINGS)

function encodeAll(enc: Encoding, rows: PrivpathEvent[]): { body: string; cpuUs: number } {
  const cpu = process.cpuUsage()
  let body = ''
  for (const e of rows) body += enc.line(e) + '\n'
  const used = process.cpuUsage(cpu)
  return { body, cpuUs: used.user + used.system }
}

/** CPU µs of the whole process (chDB's threads included) and wall ms of one insert. */
async function insertBody(client: ClickHouseClient, table: string, enc: Encoding, body: string): Promise<[number, number]> {
  const columns = enc.columns ? ` (${enc.columns.join(', ')})` : ''
  const cpu = process.cpuUsage()
  const started = performance.now()
  const result = await client.exec({ query: `INSERT INTO ${table}${columns} FORMAT ${enc.format}`, values: Readable.from([body]) })
  result.stream.destroy()
  const used = process.cpuUsage(cpu)
  return [used.user + used.system, performance.now() - started]
}

async function main(): Promise<void> {
  console.log(`${events.length} events from ${spanCount} spans (${(events.length / spanCount).toFixed(2)} events/span)`)
  // encode: warm up, then best of 3
  const encodeStats: Record<string, { us: number; bytes: number }> = {}
  for (const name of selected) encodeAll(ENCODINGS[name], events.slice(0, 5000))
  for (let round = 0; round < 3; round++) {
    for (const name of selected) {
      const { body, cpuUs } = encodeAll(ENCODINGS[name], events)
      const prev = encodeStats[name]
      encodeStats[name] = { us: Math.min(prev?.us ?? Infinity, cpuUs / events.length), bytes: Buffer.byteLength(body) / events.length }
    }
  }
  console.log('encode (best of 3, CPU µs/event, bytes/event):')
  for (const name of selected) console.log(`  ${name.padEnd(24)} ${encodeStats[name].us.toFixed(2).padStart(6)} µs  ${encodeStats[name].bytes.toFixed(0).padStart(6)} B`)

  const dir = mkdtempSync(join(tmpdir(), 'privpath-bench-store-'))
  const client = createStoreClient({ data_dir: dir, clickhouse_url: '', username: '', password: '' })
  // chDB allows several connections on the one data directory a process binds.
  const generic = createClient({
    connection: createChdbConnection({ path: embeddedPath(dir) }) as unknown as NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>,
    clickhouse_settings: SHARED_SETTINGS,
  })
  try {
    await migrate(client, { database: 'with_mv', eventsTtlDays: 30 })
    await migrate(client, { database: 'no_mv', eventsTtlDays: 30 })
    for (const view of ['task_summary_mv', 'credentials_mv', 'task_hours_mv', 'task_times_mv']) await client.command({ query: `DROP VIEW no_mv.${view}` })
    const sizes = args.batches.split(',').map(Number)
    console.log('insert into chDB (wall ms per batch, CPU µs per event incl. chDB threads; rounds interleaved, median of 3):')
    for (const size of sizes) {
      const batch = events.slice(0, Math.min(size, events.length))
      const bodies = Object.fromEntries(selected.map((name) => [name, encodeAll(ENCODINGS[name], batch).body]))
      const times: Record<string, number[]> = {}
      const cpus: Record<string, number[]> = {}
      for (let round = 0; round < 3; round++) {
        for (const db of ['with_mv', 'no_mv']) {
          for (const name of selected) {
            const [cpuUs, ms] = await insertBody(ENCODINGS[name].generic ? generic : client, `${db}.events`, ENCODINGS[name], bodies[name])
            ;(times[`${db} ${name}`] ??= []).push(ms)
            ;(cpus[`${db} ${name}`] ??= []).push(cpuUs / batch.length)
          }
        }
      }
      for (const [key, values] of Object.entries(times)) {
        const median = values.sort((a, b) => a - b)[1]
        const cpu = cpus[key].sort((a, b) => a - b)[1]
        console.log(`  ${String(batch.length).padStart(6)} rows  ${key.padEnd(34)} ${median.toFixed(0).padStart(6)} ms wall  ${cpu.toFixed(1).padStart(6)} CPU µs/event`)
      }
    }
  } finally {
    await generic.close()
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
