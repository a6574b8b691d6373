/**
 * Reads Native bodies (core/store/native.ts) back into rows: how tests see what the writer sent
 * without trusting the encoder that wrote it. Covers the types the writer sends: String, UInt8,
 * UInt32, DateTime64 (as its Int64 ticks), Nullable, Array, Map and (named) Tuple.
 */

class Cursor {
  offset = 0
  constructor(readonly bytes: Buffer) {}

  get done(): boolean {
    return this.offset >= this.bytes.length
  }

  take(count: number): Buffer {
    if (this.offset + count > this.bytes.length) throw new Error(`Native body ends inside a value at byte ${this.offset}`)
    const out = this.bytes.subarray(this.offset, this.offset + count)
    this.offset += count
    return out
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (;;) {
      const byte = this.take(1)[0]
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
  }

  string(): string {
    return this.take(this.varint()).toString('utf8')
  }
}

/** Splits `a, b(c, d), e` at its top-level commas. */
function topLevel(list: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '(') depth++
    else if (list[i] === ')') depth--
    else if (list[i] === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(list.slice(start).trim())
  return parts
}

const times = <T>(n: number, read: () => T): T[] => Array.from({ length: n }, read)

/** `rows` values of a column of `type`. */
function readColumn(c: Cursor, type: string, rows: number): unknown[] {
  const match = /^(\w+)(?:\((.*)\))?$/.exec(type.trim())
  if (!match) throw new Error(`unreadable type ${type}`)
  const [, name, args = ''] = match
  const counts = () => {
    const ends = times(rows, () => Number(c.take(8).readBigUInt64LE(0)))
    return ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]))
  }
  const split = <T>(sizes: number[], items: T[]) => {
    let at = 0
    return sizes.map((size) => items.slice(at, (at += size)))
  }
  switch (name) {
    case 'String':
      return times(rows, () => c.string())
    case 'UInt8':
      return times(rows, () => c.take(1)[0])
    case 'UInt32':
      return times(rows, () => c.take(4).readUInt32LE(0))
    case 'DateTime64':
      return times(rows, () => Number(c.take(8).readBigInt64LE(0)))
    case 'Nullable': {
      const nulls = times(rows, () => c.take(1)[0])
      return readColumn(c, args, rows).map((value, i) => (nulls[i] === 0 ? value : null))
    }
    case 'Array': {
      const sizes = counts()
      return split(sizes, readColumn(c, args, sizes.reduce((a, b) => a + b, 0)))
    }
    case 'Map': {
      const sizes = counts()
      const total = sizes.reduce((a, b) => a + b, 0)
      const [keyType, valueType] = topLevel(args)
      const keys = readColumn(c, keyType, total)
      const values = readColumn(c, valueType, total)
      return split(sizes, keys.map((key, i) => [key, values[i]] as const)).map((entries) => Object.fromEntries(entries))
    }
    case 'Tuple': {
      const fields = topLevel(args).map((field) => /^(?:(\w+) )?(.+)$/.exec(field)!)
      const columns = fields.map(([, , fieldType]) => readColumn(c, fieldType, rows))
      const named = fields.every(([, fieldName]) => fieldName !== undefined)
      return Array.from({ length: rows }, (_, i) =>
        named ? Object.fromEntries(fields.map(([, fieldName], f) => [fieldName, columns[f][i]])) : columns.map((column) => column[i]),
      )
    }
    default:
      throw new Error(`type ${type} is not read here`)
  }
}

export interface NativeTable {
  columns: Array<{ name: string; type: string }>
  rows: unknown[][]
}

/** The blocks of `body`, as one table; throws when the body does not end where its last block does. */
export function readNative(body: Uint8Array): NativeTable {
  const cursor = new Cursor(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
  const table: NativeTable = { columns: [], rows: [] }
  while (!cursor.done) {
    const columnCount = cursor.varint()
    const rowCount = cursor.varint()
    const columns = times(columnCount, () => {
      const name = cursor.string()
      const type = cursor.string()
      return { name, type, values: readColumn(cursor, type, rowCount) }
    })
    table.columns = columns.map(({ name, type }) => ({ name, type }))
    for (let i = 0; i < rowCount; i++) table.rows.push(columns.map((column) => column.values[i]))
  }
  return table
}
