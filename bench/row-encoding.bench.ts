/**
 * How to hand DateTime64 values to ClickHouse in JSONEachRow: integer ticks (what the store
 * uses), a string of fractional seconds, or a 'YYYY-MM-DD hh:mm:ss.ffffff' string. Measures the
 * JS side (encode + JSON.stringify) and a chDB insert of the same rows, side by side in one run.
 *
 *   npm run bench:rows            # 100k rows encoded, 20k inserted per encoding
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { emptyEvent, type PrivpathEvent } from '../core/event.js'
import { createStoreClient } from '../core/store/client.js'
import { migrate } from '../core/store/migrate.js'
import { eventToRow, toMicros, toMillis } from '../core/store/rows.js'

const ENCODE_ROWS = Number(process.env.BENCH_ROWS ?? 100_000)
const INSERT_ROWS = Number(process.env.BENCH_INSERT_ROWS ?? 20_000)

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

function secondsString(us: number): string {
  const s = Math.floor(us / 1e6)
  return `${s}.${pad(us - s * 1e6, 6)}`
}

function dateTimeString(us: number, digits: 3 | 6): string {
  const ms = Math.floor(us / 1000)
  const iso = new Date(ms).toISOString() // 2026-11-24T01:02:03.456Z
  const fraction = digits === 6 ? pad(us - Math.floor(us / 1e6) * 1e6, 6) : pad(ms % 1000, 3)
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction}`
}

const ENCODINGS: Record<string, { encode: (e: PrivpathEvent) => unknown; settings?: Record<string, string> }> = {
  'integer ticks': { encode: eventToRow },
  'seconds string': {
    encode: (e) => ({
      ...e,
      ts: secondsString(toMicros(e.ts)),
      observed_at: secondsString(toMillis(e.observed_at) * 1000),
      credential_expires_at: e.credential_expires_at === null ? null : secondsString(toMillis(e.credential_expires_at) * 1000),
    }),
    // 'basic' parsing reads only whole seconds from a number string.
    settings: { date_time_input_format: 'best_effort' },
  },
  'datetime string': {
    encode: (e) => ({
      ...e,
      ts: dateTimeString(toMicros(e.ts), 6),
      observed_at: dateTimeString(toMillis(e.observed_at) * 1000, 3),
      credential_expires_at: e.credential_expires_at === null ? null : dateTimeString(toMillis(e.credential_expires_at) * 1000, 3),
    }),
  },
}

function sampleEvents(count: number, tenant: string): PrivpathEvent[] {
  const start = Date.now() - 3_600_000
  return Array.from({ length: count }, (_, i) => ({
    ...emptyEvent(),
    event_id: `${tenant}-${i}`,
    kind: 'tool_invocation',
    tenant_id: tenant,
    task_id: `task-${i % 500}`,
    ts: start + i * 0.137,
    seq: i % 7,
    observed_at: start + i * 0.137 + 3,
    credential_expires_at: i % 3 === 0 ? start + 900_000 : null,
    tool_name: 'db.query',
    tool_arguments: '{"sql":"select 1"}',
    attributes: { 'gen_ai.system': 'openai' },
  }))
}

function time<T>(fn: () => T): [T, number] {
  const started = performance.now()
  const value = fn()
  return [value, performance.now() - started]
}

async function main(): Promise<void> {
  const events = sampleEvents(ENCODE_ROWS, 'bench')
  const encodeMs: Record<string, number> = {}
  const encodeAll = (name: string, rows: PrivpathEvent[]): number => {
    let bytes = 0
    for (const e of rows) bytes += JSON.stringify(ENCODINGS[name].encode(e)).length
    return bytes
  }
  for (const name of Object.keys(ENCODINGS)) encodeAll(name, events.slice(0, 20_000))
  // Rounds alternate the encodings so JIT warm-up and GC pauses do not favour whichever runs first.
  for (let round = 0; round < 3; round++) {
    for (const name of Object.keys(ENCODINGS)) {
      const [, ms] = time(() => encodeAll(name, events))
      encodeMs[name] = Math.min(encodeMs[name] ?? Infinity, ms)
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'privpath-bench-rows-'))
  const client = createStoreClient({ data_dir: dir, clickhouse_url: '', username: '', password: '' })
  const insertMs: Record<string, number> = {}
  try {
    await migrate(client, { database: 'privpath', eventsTtlDays: 30 })
    for (const [name, { encode, settings }] of Object.entries(ENCODINGS)) {
      const rows = sampleEvents(INSERT_ROWS, name.replace(/\W/g, '_')).map(encode)
      const started = performance.now()
      await client.insert({ table: 'privpath.events', values: rows, format: 'JSONEachRow', clickhouse_settings: settings })
      insertMs[name] = performance.now() - started
    }
    const check = await client.query({
      query: 'SELECT tenant_id, uniqExact(toUnixTimestamp64Micro(ts)) AS distinct_ts FROM privpath.events GROUP BY tenant_id ORDER BY tenant_id',
      format: 'JSONEachRow',
    })
    console.log('distinct µs timestamps stored per encoding (must all equal the rows inserted):', JSON.stringify(await check.json()))
  } finally {
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  }

  const base = 'integer ticks'
  console.log(`\nrow encoding: ${ENCODE_ROWS} events encoded + stringified, ${INSERT_ROWS} inserted into chDB per encoding`)
  console.log('encoding          encode ms  rows/s      vs ticks   insert ms  vs ticks')
  for (const name of Object.keys(ENCODINGS)) {
    const rate = Math.round((ENCODE_ROWS / encodeMs[name]) * 1000)
    console.log(
      `${name.padEnd(16)}  ${encodeMs[name].toFixed(1).padStart(9)}  ${String(rate).padStart(10)}  ${(encodeMs[name] / encodeMs[base]).toFixed(2).padStart(8)}x  ${insertMs[name].toFixed(1).padStart(9)}  ${(insertMs[name] / insertMs[base]).toFixed(2).padStart(7)}x`,
    )
  }
}

await main()
