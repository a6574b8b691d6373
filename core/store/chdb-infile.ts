/**
 * Binary inserts into embedded chDB. chdb hands an insert's body to the engine as data inline
 * after the statement, and inline data ends at the first empty line ("\n\n", as in
 * clickhouse-client's multi-query text): harmless for JSON lines, which escape newlines, but a
 * binary body holds "\n\n" wherever text does, or a number's bytes happen to (chdb's raw insert
 * admits text formats only for that reason). So a binary body is written to a spool file and
 * inserted with `INSERT … FROM INFILE`, which the engine reads whole, and faster than inline data;
 * the file is removed after.
 */
import { randomBytes } from 'node:crypto'
import { unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClickHouseSettings } from '@clickhouse/client'

interface InfileInsert {
  /** Plain identifiers only (core/store/chdb.ts `parseInsert` checks them). */
  table: string
  columns?: readonly string[]
  format: 'Native'
  values: Buffer
  settings?: ClickHouseSettings
}

interface InfileInserter {
  insert(insert: InfileInsert): Promise<void>
  /** Resolves once the inserts still running have finished (and removed their files). */
  close(): Promise<void>
}

/** `run` executes one SQL statement on the embedded connection. */
export function infileInserter(run: (query: string, settings: ClickHouseSettings | undefined) => Promise<unknown>): InfileInserter {
  // A file per insert, removed right after, straight in the temp directory: nothing to clean up on close.
  const prefix = join(tmpdir(), `privpath-insert-${process.pid}-${randomBytes(6).toString('hex')}-`)
  let next = 0
  const running = new Set<Promise<unknown>>()
  const insertOne = async ({ table, columns, format, values, settings }: InfileInsert) => {
    const file = `${prefix}${next++}.bin`
    // 'wx' creates the file or fails: never writes through a link someone placed at that name.
    await writeFile(file, values, { mode: 0o600, flag: 'wx' })
    try {
      const list = columns ? ` (${columns.join(', ')})` : ''
      const literal = `'${file.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
      await run(`INSERT INTO ${table}${list} FROM INFILE ${literal} FORMAT ${format}`, settings)
    } finally {
      await unlink(file)
    }
  }
  return {
    insert(insert) {
      const inserting = insertOne(insert)
      const settled = inserting.then(
        () => undefined,
        () => undefined,
      )
      running.add(settled)
      void settled.then(() => running.delete(settled))
      return inserting
    },
    async close() {
      await Promise.all(running)
    },
  }
}
