import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { ClickHouseError } from '@clickhouse/client'
import { afterAll, describe, expect, it } from 'vitest'
import { parseInsert } from './chdb.js'
import { createStoreClient } from './client.js'

const dir = mkdtempSync(join(tmpdir(), 'privpath-chdb-'))
const client = createStoreClient({ data_dir: dir, clickhouse_url: '', username: '', password: '' })
afterAll(async () => {
  await client.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('parseInsert', () => {
  it('reads the statements @clickhouse/client and the writer build', () => {
    expect(parseInsert('INSERT INTO `db`.`t` FORMAT JSONEachRow')).toEqual({ table: 'db.t', format: 'JSONEachRow' })
    expect(parseInsert('INSERT INTO db.t (`a`, b) FORMAT JSONCompactEachRow')).toEqual({ table: 'db.t', columns: ['a', 'b'], format: 'JSONCompactEachRow' })
    expect(parseInsert('INSERT INTO `db`.`t` (`a`, `b`) FORMAT RowBinary')).toEqual({ table: 'db.t', columns: ['a', 'b'], format: 'RowBinary' })
  })

  it('leaves anything else to the SQL path', () => {
    expect(parseInsert('INSERT INTO t SELECT 1')).toBeUndefined()
    expect(parseInsert('INSERT INTO t FORMAT CSV')).toBeUndefined()
    expect(parseInsert('SELECT 1 FORMAT JSONEachRow')).toBeUndefined()
    expect(parseInsert('INSERT INTO `odd name` FORMAT JSONEachRow')).toBeUndefined()
  })
})

describe('embedded connection', () => {
  it('inserts rows through exec and insert, and reads with the shared settings', async () => {
    await client.command({ query: 'CREATE TABLE t (a UInt64, b String) ENGINE = MergeTree ORDER BY a' })
    const exec = await client.exec({ query: 'INSERT INTO t (`a`, `b`) FORMAT JSONCompactEachRow', values: Readable.from(['[1,"x"]\n[2,"y\\n"]\n']) })
    exec.stream.destroy()
    await client.insert({ table: 't', values: [{ a: 3, b: 'z' }], format: 'JSONEachRow' })
    const rows = await (await client.query({ query: 'SELECT a, b FROM t ORDER BY a', format: 'JSONEachRow' })).json()
    // Unquoted 64-bit integers: the read setting still applies.
    expect(rows).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y\n' }, { a: 3, b: 'z' }])
  })

  it('inserts RowBinary bodies whole: bytes that are not UTF-8, and empty lines, which end inline insert data', async () => {
    await client.command({ query: 'CREATE TABLE rb (a UInt32, b String) ENGINE = MergeTree ORDER BY a' })
    // a = 7, b = '\0' 0xff 'é'; a = 2570 (bytes 0a 0a 00 00), b = 'x\n\ny'; a = 8, b = ''
    const body = Buffer.from([7, 0, 0, 0, 4, 0, 0xff, 0xc3, 0xa9, 0x0a, 0x0a, 0, 0, 4, 0x78, 0x0a, 0x0a, 0x79, 8, 0, 0, 0, 0])
    const exec = await client.exec({ query: 'INSERT INTO rb (a, b) FORMAT RowBinary', values: Readable.from([body]) })
    exec.stream.destroy()
    const rows = await (await client.query({ query: 'SELECT a, hex(b) AS b FROM rb ORDER BY a', format: 'JSONEachRow' })).json()
    expect(rows).toEqual([{ a: 7, b: '00FFC3A9' }, { a: 8, b: '' }, { a: 2570, b: '780A0A79' }])
  })

  it('rejects a RowBinary row cut short with a ClickHouse error code (CANNOT_READ_ALL_DATA, which the writer takes for a malformed row)', async () => {
    const failure = client.exec({ query: 'INSERT INTO rb (a, b) FORMAT RowBinary', values: Readable.from([Buffer.from([9, 0, 0, 0, 5, 65])]) })
    await expect(failure).rejects.toBeInstanceOf(ClickHouseError)
    await expect(failure).rejects.toMatchObject({ code: '33' })
  })

  it('rejects a malformed row with the ClickHouse error code the writer classifies by', async () => {
    const failure = client.exec({ query: 'INSERT INTO t (a, b) FORMAT JSONCompactEachRow', values: Readable.from(['[4,"ok"]\n[nope,"bad"]\n']) })
    await expect(failure).rejects.toBeInstanceOf(ClickHouseError)
    await expect(failure).rejects.toMatchObject({ code: '27' })
  })
})
