/**
 * Reads RowBinary bodies back into values, driven by ClickHouse type names (as `DESCRIBE TABLE`
 * gives them): how tests see what the writer sent without trusting the encoder that wrote it.
 * Covers the types the store's tables use: String, LowCardinality(String), UInt8/UInt32,
 * DateTime64 (as its Int64 ticks), Nullable, Array, Map and (named) Tuple.
 */

type Reader = (cursor: Cursor) => unknown

class Cursor {
  offset = 0
  constructor(readonly bytes: Buffer) {}

  get done(): boolean {
    return this.offset >= this.bytes.length
  }

  take(count: number): Buffer {
    if (this.offset + count > this.bytes.length) throw new Error(`RowBinary body ends inside a value at byte ${this.offset}`)
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

function readerFor(type: string): Reader {
  // DESCRIBE spreads a long type over lines.
  const match = /^(\w+)(?:\((.*)\))?$/.exec(type.replace(/\s+/g, ' ').trim())
  if (!match) throw new Error(`unreadable type ${type}`)
  const [, name, args = ''] = match
  switch (name) {
    case 'String':
      return (c) => c.take(c.varint()).toString('utf8')
    case 'LowCardinality':
      return readerFor(args)
    case 'UInt8':
      return (c) => c.take(1)[0]
    case 'UInt32':
      return (c) => c.take(4).readUInt32LE(0)
    case 'DateTime64':
      return (c) => Number(c.take(8).readBigInt64LE(0))
    case 'Nullable': {
      const inner = readerFor(args)
      return (c) => (c.take(1)[0] === 0 ? inner(c) : null)
    }
    case 'Array': {
      const inner = readerFor(args)
      return (c) => Array.from({ length: c.varint() }, () => inner(c))
    }
    case 'Map': {
      const [key, value] = topLevel(args).map(readerFor)
      return (c) => Object.fromEntries(Array.from({ length: c.varint() }, () => [key(c), value(c)]))
    }
    case 'Tuple': {
      const fields = topLevel(args).map((field) => {
        const named = /^(\w+) (.+)$/.exec(field)
        return named ? { name: named[1], read: readerFor(named[2]) } : { name: undefined, read: readerFor(field) }
      })
      return (c) => {
        const values = fields.map((f) => [f.name, f.read(c)] as const)
        return fields.every((f) => f.name !== undefined) ? Object.fromEntries(values) : values.map(([, v]) => v)
      }
    }
    default:
      throw new Error(`type ${type} is not read here`)
  }
}

/** Every row of `body`, one value per type; throws when the body does not end on a row boundary. */
export function readRowBinary(body: Uint8Array, types: readonly string[]): unknown[][] {
  const readers = types.map(readerFor)
  const cursor = new Cursor(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
  const rows: unknown[][] = []
  while (!cursor.done) rows.push(readers.map((read) => read(cursor)))
  return rows
}
