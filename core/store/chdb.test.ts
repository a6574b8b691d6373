import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { ClickHouseError } from '@clickhouse/client'
import { afterAll, describe, expect, it } from 'vitest'
import { ByteWriter } from './bytes.js'
import { parseInsert } from './chdb.js'
import { createStoreClient } from './client.js'
import { nativeBlock } from './native.js'

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
    expect(parseInsert('INSERT INTO `db`.`t` FORMAT Native')).toEqual({ table: 'db.t', format: 'Native' })
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

  it('inserts Native bodies whole: bytes that are not UTF-8, and empty lines, which end inline insert data', async () => {
    await client.command({ query: 'CREATE TABLE nb (a UInt32, b String) ENGINE = MergeTree ORDER BY a' })
    const a = new ByteWriter()
    const b = new ByteWriter()
    for (const [number, bytes] of [[7, [0, 0xff, 0xc3, 0xa9]], [2570, [0x78, 0x0a, 0x0a, 0x79]], [8, []]] as const) {
      // 2570 is the bytes 0a 0a 00 00
      a.uint32(number, 'a')
      b.varint(bytes.length)
      for (const byte of bytes) b.uint8(byte)
    }
    const body = nativeBlock([{ name: 'a', type: 'UInt32', writers: [a] }, { name: 'b', type: 'String', writers: [b] }], 3)
    const exec = await client.exec({ query: 'INSERT INTO nb FORMAT Native', values: Readable.from([body]) })
    exec.stream.destroy()
    const rows = await (await client.query({ query: 'SELECT a, hex(b) AS b FROM nb ORDER BY a', format: 'JSONEachRow' })).json()
    expect(rows).toEqual([{ a: 7, b: '00FFC3A9' }, { a: 8, b: '' }, { a: 2570, b: '780A0A79' }])
    // The body went through a spool file, removed once inserted.
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith(`privpath-insert-${process.pid}-`))).toEqual([])
  })

  it('rejects a Native body cut short with a ClickHouse error code (CANNOT_READ_ALL_DATA, which the writer takes for a malformed row)', async () => {
    const a = new ByteWriter()
    a.uint32(9, 'a')
    const body = nativeBlock([{ name: 'a', type: 'UInt32', writers: [a] }], 2)
    const failure = client.exec({ query: 'INSERT INTO nb FORMAT Native', values: Readable.from([body]) })
    await expect(failure).rejects.toBeInstanceOf(ClickHouseError)
    await expect(failure).rejects.toMatchObject({ code: '33' })
  })

  it('rejects a malformed row with the ClickHouse error code the writer classifies by', async () => {
    const failure = client.exec({ query: 'INSERT INTO t (a, b) FORMAT JSONCompactEachRow', values: Readable.from(['[4,"ok"]\n[nope,"bad"]\n']) })
    await expect(failure).rejects.toBeInstanceOf(ClickHouseError)
    await expect(failure).rejects.toMatchObject({ code: '27' })
  })
})
