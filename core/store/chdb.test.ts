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

  it('rejects a malformed row with the ClickHouse error code the writer classifies by', async () => {
    const failure = client.exec({ query: 'INSERT INTO t (a, b) FORMAT JSONCompactEachRow', values: Readable.from(['[4,"ok"]\n[nope,"bad"]\n']) })
    await expect(failure).rejects.toBeInstanceOf(ClickHouseError)
    await expect(failure).rejects.toMatchObject({ code: '27' })
  })
})
