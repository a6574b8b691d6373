/**
 * The store write path on realistic rows: events from the agent-task fixture (decode → map →
 * correlate), side by side in one run:
 * 1. encode: CPU µs and bytes per event of each candidate body format;
 * 2. insert: wall ms and CPU µs per event (chDB's threads included) of inserting each body into
 *    chDB the way the writer does (`exec` with an encoded body, which the embedded connection hands
 *    to chDB's raw insert), with and without the materialized views, for several batch sizes.
 *    `generic+SET` is what every insert did before core/store/chdb.ts: chdb's generic connection,
 *    which splices the rows into the SQL text behind the shared settings' `SET` statements;
 * 3. the store path against ClickHouse's own `INSERT … SELECT` of the same rows (copied from a
 *    Memory table that holds them, so ClickHouse neither parses nor generates anything): rows/s of
 *    that, of encode + insert as the writer does it (a Native block, and the JSON path it replaced),
 *    and of the writer itself (bus → batch → encode → insert), each as a ratio to INSERT … SELECT.
 *    Rounds interleave the candidates; medians.
 *
 *   npm run bench:store [-- --tasks 2000 --batches 5000,20000 --encodings … --rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { Correlator } from '../collector/correlate/index.js'
import { mapTraceRequest } from '../collector/mapping/index.js'
import { decodeTraces } from '../collector/otlp/decode.js'
import { MemoryBus, type CoreTopics } from '../core/bus/index.js'
import type { PrivpathEvent } from '../core/event.js'
import { createStoreClient, embeddedPath, SHARED_SETTINGS, type ClickHouseClient } from '../core/store/client.js'
import type { ClientConnection } from '../core/store/chdb.js'
import { migrate } from '../core/store/migrate.js'
import { EventBlock } from '../core/store/event-block.js'
import { EVENT_INSERT_COLUMNS, eventToCompactRow, eventToRow } from '../core/store/rows.js'
import { silentTelemetry } from '../core/telemetry.js'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'
import { startWriter } from '../writer/index.js'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    batches: { type: 'string', default: '5000,20000' },
    encodings: { type: 'string', default: '' },
    rounds: { type: 'string', default: '5' },
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
  encode: (rows: readonly PrivpathEvent[]) => Buffer
  /** Through chdb's generic connection with the shared settings, as before core/store/chdb.ts. */
  generic?: boolean
}

const lines = (line: (e: PrivpathEvent) => string) => (rows: readonly PrivpathEvent[]) => {
  let body = ''
  for (const e of rows) body += line(e) + '\n'
  return Buffer.from(body)
}

/** What the writer sends: one Native block (core/store/event-block.ts). */
function nativeBlock(rows: readonly PrivpathEvent[]): Buffer {
  const block = new EventBlock()
  for (const e of rows) block.add(e)
  return block.finish()
}

function sparseRow(e: PrivpathEvent): string {
  const row = eventToRow(e) as unknown as Record<string, unknown>
  const sparse: Record<string, unknown> = {}
  for (const k in row) {
    const v = row[k]
    if (v === '' || v === null || (Array.isArray(v) && v.length === 0)) continue
    sparse[k] = v
  }
  return JSON.stringify(sparse)
}

const ENCODINGS: Record<string, Encoding> = {
  'JSONEachRow generic+SET': { format: 'JSONEachRow', encode: lines((e) => JSON.stringify(eventToRow(e))), generic: true },
  'JSONEachRow full': { format: 'JSONEachRow', encode: lines((e) => JSON.stringify(eventToRow(e))) },
  'JSONEachRow sparse': { format: 'JSONEachRow', encode: lines(sparseRow) },
  JSONCompactEachRow: { format: 'JSONCompactEachRow', columns: EVENT_INSERT_COLUMNS, encode: lines(eventToCompactRow) },
  Native: { format: 'Native', encode: nativeBlock },
}

const selected = args.encodings ? args.encodings.split(',') : Object.keys(ENCODINGS)
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** CPU µs (user + system, every thread of this process: chDB's included) and wall ms of `work`. */
async function measure(work: () => unknown): Promise<{ cpuUs: number; ms: number }> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await work()
  const used = process.cpuUsage(cpu)
  return { cpuUs: used.user + used.system, ms: performance.now() - started }
}

async function insertBody(client: ClickHouseClient, table: string, enc: Encoding, body: Buffer): Promise<void> {
  const columns = enc.columns ? ` (${enc.columns.join(', ')})` : ''
  const result = await client.exec({ query: `INSERT INTO ${table}${columns} FORMAT ${enc.format}`, values: Readable.from([body]) })
  result.stream.destroy()
}

function encodeSection(): void {
  const stats: Record<string, { us: number; bytes: number }> = {}
  for (const name of selected) ENCODINGS[name].encode(events.slice(0, 5000))
  for (let round = 0; round < 3; round++) {
    for (const name of selected) {
      const cpu = process.cpuUsage()
      const body = ENCODINGS[name].encode(events)
      const used = process.cpuUsage(cpu)
      const us = (used.user + used.system) / events.length
      stats[name] = { us: Math.min(stats[name]?.us ?? Infinity, us), bytes: body.length / events.length }
    }
  }
  console.log('encode (best of 3, CPU µs/event, bytes/event):')
  for (const name of selected) console.log(`  ${name.padEnd(24)} ${stats[name].us.toFixed(2).padStart(6)} µs  ${stats[name].bytes.toFixed(0).padStart(6)} B`)
}

async function insertSection(client: ClickHouseClient, generic: ClickHouseClient): Promise<void> {
  console.log('insert into chDB (wall ms per batch, CPU µs per event incl. chDB threads; rounds interleaved, median of 3):')
  for (const size of args.batches.split(',').map(Number)) {
    const batch = events.slice(0, Math.min(size, events.length))
    const bodies = Object.fromEntries(selected.map((name) => [name, ENCODINGS[name].encode(batch)]))
    const runs: Record<string, Array<{ cpuUs: number; ms: number }>> = {}
    for (let round = 0; round < 3; round++) {
      for (const db of ['with_mv', 'no_mv']) {
        for (const name of selected) {
          const enc = ENCODINGS[name]
          ;(runs[`${db} ${name}`] ??= []).push(await measure(() => insertBody(enc.generic ? generic : client, `${db}.events`, enc, bodies[name])))
        }
      }
    }
    for (const [key, values] of Object.entries(runs)) {
      const ms = median(values.map((v) => v.ms))
      const cpu = median(values.map((v) => v.cpuUs)) / batch.length
      console.log(`  ${String(batch.length).padStart(6)} rows  ${key.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms wall  ${cpu.toFixed(1).padStart(6)} CPU µs/event`)
    }
  }
}

/** Rows/s of ClickHouse's own INSERT … SELECT of the batch, and of each way privpath stores it, round by round. */
async function againstInsertSelect(client: ClickHouseClient, dir: string): Promise<void> {
  const batch = events.slice(0, Math.min(20_000, events.length))
  await client.command({ query: 'CREATE TABLE with_mv.staging AS with_mv.events ENGINE = Memory' })
  await insertBody(client, 'with_mv.staging', ENCODINGS.Native, nativeBlock(batch))
  const bus = new MemoryBus<CoreTopics>()
  const writer = await startWriter({ bus, client, database: 'with_mv', telemetry: silentTelemetry(), batchRows: batch.length, flushMs: 0, deadLetterDir: join(dir, 'dead-letter') })
  // The writer is given three batches at once, as under load: the next batch fills while one is encoded and inserted.
  const messages = [batch, batch, batch].flat().map((value) => ({ key: value.task_id, value }))
  const candidates: Record<string, () => Promise<unknown>> = {
    'INSERT … SELECT (ClickHouse alone)': () => client.command({ query: 'INSERT INTO with_mv.events SELECT * FROM with_mv.staging' }),
    'encode + insert, Native': () => insertBody(client, 'with_mv.events', ENCODINGS.Native, nativeBlock(batch)),
    'encode + insert, JSONCompactEachRow': () => insertBody(client, 'with_mv.events', ENCODINGS.JSONCompactEachRow, ENCODINGS.JSONCompactEachRow.encode(batch)),
    'writer, 3 batches: bus → encode → insert': () => bus.publish('events', messages),
  }
  const rowsOf = (name: string) => (name.startsWith('writer') ? messages.length : batch.length)
  const runs: Record<string, Array<{ cpuUs: number; ms: number }>> = {}
  try {
    for (const run of Object.values(candidates)) await run() // warm-up
    for (let round = 0; round < Number(args.rounds); round++) {
      const names = Object.keys(candidates)
      // Alternate the order so no candidate always follows the same one's background merges.
      for (const name of round % 2 === 0 ? names : names.reverse()) (runs[name] ??= []).push(await measure(candidates[name]))
    }
  } finally {
    await writer.stop()
    await bus.close()
  }
  const rate = (name: string, run: { ms: number }) => (rowsOf(name) / run.ms) * 1000
  const base = runs['INSERT … SELECT (ClickHouse alone)']
  console.log(`the store path against ClickHouse's INSERT … SELECT of the same ${batch.length} rows into events with its views (median of ${args.rounds} rounds):`)
  for (const [name, values] of Object.entries(runs)) {
    const rates = values.map((v) => rate(name, v))
    const ratios = values.map((v, i) => rate(name, v) / rate('INSERT … SELECT (ClickHouse alone)', base[i]))
    console.log(
      `  ${name.padEnd(42)} ${Math.round(median(rates)).toLocaleString('en-US').padStart(8)} rows/s  ` +
        `${(median(values.map((v) => v.cpuUs)) / rowsOf(name)).toFixed(1).padStart(5)} CPU µs/row  ` +
        `ratio to INSERT … SELECT ${median(ratios).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    )
  }
}

async function main(): Promise<void> {
  console.log(`${events.length} events from ${spanCount} spans (${(events.length / spanCount).toFixed(2)} events/span)`)
  encodeSection()
  const dir = mkdtempSync(join(tmpdir(), 'privpath-bench-store-'))
  const client = createStoreClient({ data_dir: dir, clickhouse_url: '', username: '', password: '' })
  // chDB allows several connections on the one data directory a process binds.
  const generic = createClient({ connection: createChdbConnection({ path: embeddedPath(dir) }) as unknown as ClientConnection, clickhouse_settings: SHARED_SETTINGS })
  try {
    await migrate(client, { database: 'with_mv', eventsTtlDays: 30 })
    await migrate(client, { database: 'no_mv', eventsTtlDays: 30 })
    for (const view of ['task_summary_mv', 'credentials_mv', 'task_hours_mv', 'task_times_mv']) await client.command({ query: `DROP VIEW no_mv.${view}` })
    await insertSection(client, generic)
    await againstInsertSelect(client, dir)
  } finally {
    await generic.close()
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
