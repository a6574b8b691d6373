import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { silentTelemetry } from '../core/telemetry.js'
import { classifyInsertError } from './classify.js'
import { DeadLetterFile } from './dead-letter.js'
import type { BatchEncoder } from './encode.js'
import { TableInserter, type InsertClient } from './inserter.js'
import { writerMetrics } from './metrics.js'

const dir = mkdtempSync(join(tmpdir(), 'privpath-inserter-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Shaped like the errors @clickhouse/client raises for a server answer. */
function clickhouseError(code: number, type: string, message = type): Error {
  return Object.assign(new Error(message), { code: String(code), type })
}

interface Row {
  id: number
  bad?: boolean
}

/** Inserts into an array; rejects batches over `maxRows` as too large and any batch holding a bad row as malformed. */
function fakeClient(options: { maxRows?: number; failFirst?: Error[]; always?: Error } = {}) {
  const stored: number[] = []
  const calls: number[] = []
  const failFirst = [...(options.failFirst ?? [])]
  const client: InsertClient = {
    exec: (async (params: { values: NodeJS.ReadableStream }) => {
      let body = ''
      for await (const chunk of params.values) body += String(chunk)
      const values = body.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Row)
      calls.push(values.length)
      if (options.always) throw options.always
      const next = failFirst.shift()
      if (next) throw next
      if (options.maxRows !== undefined && values.length > options.maxRows) throw clickhouseError(241, 'MEMORY_LIMIT_EXCEEDED')
      if (values.some((v) => v.bad)) throw clickhouseError(27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED')
      stored.push(...values.map((v) => v.id))
      return { stream: Readable.from([]), query_id: 'q', response_headers: {} }
    }) as unknown as InsertClient['exec'],
  }
  return { client, stored, calls }
}

let n = 0
function inserter(client: InsertClient) {
  const telemetry = silentTelemetry()
  const metrics = writerMetrics(telemetry.registry)
  const deadLetters = new DeadLetterFile(join(dir, `dl-${++n}`))
  const logged: Array<{ msg: string; attempt?: number; delayMs?: number }> = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) })
  const instance = new TableInserter({
    client,
    table: 'events',
    target: 'privpath.events',
    encoder: rowLines,
    deadLetters,
    metrics,
    logger,
    retry: { attempts: 4, baseMs: 1, maxMs: 2 },
  })
  const metric = async (name: string) => (await telemetry.registry.getSingleMetric(name)!.get()).values
  const retries = () => logged.filter((entry) => entry.msg === 'writer: insert failed, retrying')
  return { instance, deadLetters, metric, retries }
}

/** Rows as JSON lines; a row marked `unencodable` cannot be encoded. */
const rowLines: BatchEncoder = {
  format: 'JSONEachRow',
  encode(values) {
    const good = (values as Array<Row & { unencodable?: boolean }>).filter((v) => !v.unencodable)
    return {
      body: Buffer.from(good.map((v) => JSON.stringify({ id: v.id, bad: v.bad }) + '\n').join('')),
      rows: good,
      unencodable: values.filter((v) => (v as { unencodable?: boolean }).unencodable).map((value) => ({ value, error: new Error('no way to say it') })),
    }
  },
}

const rows = (count: number, bad: number[] = [], unencodable: number[] = []): Row[] =>
  Array.from({ length: count }, (_, id) => ({ id, bad: bad.includes(id), ...(unencodable.includes(id) ? { unencodable: true } : {}) }))

describe('TableInserter', () => {
  it('inserts a batch ClickHouse rejects as too large as halves, recursively', async () => {
    const fake = fakeClient({ maxRows: 3 })
    const { instance, metric } = inserter(fake.client)
    await instance.insert(rows(10))
    expect(fake.stored.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(fake.calls).toEqual([10, 5, 2, 3, 5, 2, 3])
    expect((await metric('privpath_writer_batch_splits_total'))[0].value).toBe(3)
    expect((await metric('privpath_writer_rows_written_total'))[0].value).toBe(10)
  })

  it('isolates a malformed row, dead-letters it with its source and inserts every other row', async () => {
    const fake = fakeClient()
    const { instance, deadLetters, metric } = inserter(fake.client)
    await instance.insert(rows(16, [5, 11]))
    expect(fake.stored.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15])
    const letters = readFileSync(deadLetters.pathFor('events'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(letters.map((l) => l.value)).toEqual([{ id: 5, bad: true }, { id: 11, bad: true }])
    expect(letters[0].reason).toMatch(/^malformed: CANNOT_PARSE/)
    expect((await metric('privpath_writer_dead_letter_rows_total'))[0]).toMatchObject({ value: 2, labels: { table: 'events', reason: 'malformed' } })
  })

  it('dead-letters values that cannot be encoded and inserts the rest; a batch of none inserts nothing', async () => {
    const fake = fakeClient()
    const { instance, deadLetters, metric } = inserter(fake.client)
    await instance.insert(rows(5, [], [1, 3]))
    expect(fake.stored).toEqual([0, 2, 4])
    await instance.insert(rows(2, [], [0, 1]))
    expect(fake.calls).toEqual([3])
    const letters = readFileSync(deadLetters.pathFor('events'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(letters.map((l) => [l.value.id, l.reason])).toEqual([[1, 'unencodable: no way to say it'], [3, 'unencodable: no way to say it'], [0, 'unencodable: no way to say it'], [1, 'unencodable: no way to say it']])
    expect((await metric('privpath_writer_dead_letter_rows_total'))[0]).toMatchObject({ value: 4, labels: { table: 'events', reason: 'unencodable' } })
  })

  it('retries transient failures with the same batch', async () => {
    const fake = fakeClient({ failFirst: [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), clickhouseError(202, 'TOO_MANY_SIMULTANEOUS_QUERIES')] })
    const { instance, metric, retries } = inserter(fake.client)
    await instance.insert(rows(4))
    expect(fake.calls).toEqual([4, 4, 4])
    expect(fake.stored).toEqual([0, 1, 2, 3])
    expect(await metric('privpath_writer_insert_failures_total')).toEqual([{ value: 2, labels: { table: 'events', reason: 'transient' } }])
    expect(retries()).toMatchObject([
      { attempt: 1, delayMs: expect.any(Number) },
      { attempt: 2, delayMs: expect.any(Number) },
    ])
  })

  it('fails the batch when transient errors outlast the retries, so the bus redelivers it', async () => {
    const fake = fakeClient({ always: clickhouseError(209, 'SOCKET_TIMEOUT') })
    const { instance, retries } = inserter(fake.client)
    await expect(instance.insert(rows(4))).rejects.toThrow('SOCKET_TIMEOUT')
    expect(fake.calls).toEqual([4, 4, 4, 4])
    // the last failure is not retried, so not logged as one
    expect(retries()).toHaveLength(3)
  })

  it('fails at once, without splitting or dead-lettering, on errors that are not about the rows', async () => {
    const fake = fakeClient({ always: clickhouseError(60, 'UNKNOWN_TABLE') })
    const { instance, retries } = inserter(fake.client)
    await expect(instance.insert(rows(4))).rejects.toThrow('UNKNOWN_TABLE')
    expect(fake.calls).toEqual([4])
    expect(retries()).toEqual([])
  })
})

describe('classifyInsertError', () => {
  it('tells too-large, malformed, transient and fatal apart', () => {
    expect(classifyInsertError(clickhouseError(252, 'TOO_MANY_PARTS', 'Too many partitions for single INSERT block (more than 100)'))).toBe('too_large')
    expect(classifyInsertError(clickhouseError(252, 'TOO_MANY_PARTS', 'Too many parts (300). Merges are processing significantly slower than inserts'))).toBe('transient')
    expect(classifyInsertError(new Error('Request Entity Too Large (413)'))).toBe('too_large')
    expect(classifyInsertError(clickhouseError(53, 'TYPE_MISMATCH'))).toBe('malformed')
    expect(classifyInsertError(clickhouseError(33, 'CANNOT_READ_ALL_DATA'))).toBe('malformed')
    expect(classifyInsertError(clickhouseError(999, 'KEEPER_EXCEPTION'))).toBe('transient')
    expect(classifyInsertError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('transient')
    expect(classifyInsertError(clickhouseError(516, 'AUTHENTICATION_FAILED'))).toBe('fatal')
  })
})
