/**
 * ClickHouse's Native input format: a block of rows stored column after column. The block starts
 * with its column count and row count (varints); each column is its name and type (Strings), then
 * its values: fixed-width values back to back, Strings as length + bytes, a Nullable as a byte per
 * row (1 = NULL) then a value per row, an Array or a Map as each row's cumulative element count
 * (UInt64) then the elements (a Map's keys, then its values; a Tuple's first elements, then its
 * second...). ClickHouse reads each column in one pass instead of each value through the row
 * parser: an events block costs it about what copying the same rows with INSERT … SELECT does
 * (bench/store-write.bench.ts).
 *
 * A column typed String may go to a LowCardinality(String) column: ClickHouse converts it.
 */
import { ByteWriter, RowEncodingError } from './bytes.js'

/** What each column's writer starts with; it grows as needed. */
export const COLUMN_BYTES = 4_096

export interface NativeColumn {
  name: string
  type: string
  /** The column's values, in the order they are sent. */
  writers: ByteWriter[]
}

/** The block of `rows` rows holding `columns`, as one Buffer. */
export function nativeBlock(columns: readonly NativeColumn[], rows: number): Buffer {
  const head = new ByteWriter(64)
  head.varint(columns.length)
  head.varint(rows)
  const parts: Buffer[] = [Buffer.from(head.bytes())]
  for (const column of columns) {
    const names = new ByteWriter(64)
    names.string(column.name, 'name')
    names.string(column.type, 'type')
    parts.push(Buffer.from(names.bytes()))
    for (const writer of column.writers) parts.push(writer.bytes())
  }
  return Buffer.concat(parts)
}

const column = (name: string, type: string, writers: ByteWriter[]): NativeColumn => ({ name, type, writers })
const writer = () => new ByteWriter(COLUMN_BYTES)

/** An Array(String) column: cumulative counts, then every element. */
export class StringArrayColumn {
  readonly offsets = writer()
  readonly values = writer()
  total = 0

  constructor(readonly name: string) {}

  add(values: readonly string[]): void {
    if (!Array.isArray(values)) throw new RowEncodingError(`${this.name} is not an array: ${typeof values}`)
    for (const value of values) this.values.string(value, this.name)
    this.total += values.length
    this.offsets.int64(this.total)
  }

  get column(): NativeColumn {
    return column(this.name, 'Array(String)', [this.offsets, this.values])
  }
}

/** A Map(String, String) column from objects' own enumerable keys: cumulative counts, the keys, the values. */
export class StringMapColumn {
  readonly offsets = writer()
  readonly keys = writer()
  readonly values = writer()
  total = 0

  constructor(readonly name: string) {}

  add(map: Readonly<Record<string, string>>): void {
    if (map === null || typeof map !== 'object') throw new RowEncodingError(`${this.name} is not an object: ${map === null ? 'null' : typeof map}`)
    const keys = Object.keys(map)
    for (const key of keys) {
      this.keys.string(key, this.name)
      this.values.string(map[key], this.name)
    }
    this.total += keys.length
    this.offsets.int64(this.total)
  }

  get column(): NativeColumn {
    return column(this.name, 'Map(String, String)', [this.offsets, this.keys, this.values])
  }
}

/** An Array(Tuple(...String)) column of objects with the tuple's field names: cumulative counts, then each field's values. */
export class StringTupleArrayColumn<K extends string> {
  readonly offsets = writer()
  readonly fields: ByteWriter[]
  total = 0

  constructor(
    readonly name: string,
    private readonly keys: readonly K[],
  ) {
    this.fields = keys.map(() => writer())
  }

  add(tuples: ReadonlyArray<Readonly<Record<K, string>>>): void {
    if (!Array.isArray(tuples)) throw new RowEncodingError(`${this.name} is not an array: ${typeof tuples}`)
    for (const tuple of tuples) {
      if (tuple === null || typeof tuple !== 'object') throw new RowEncodingError(`${this.name} holds a ${tuple === null ? 'null' : typeof tuple}`)
      for (let i = 0; i < this.keys.length; i++) this.fields[i].string(tuple[this.keys[i]], `${this.name}.${this.keys[i]}`)
    }
    this.total += tuples.length
    this.offsets.int64(this.total)
  }

  get column(): NativeColumn {
    return column(this.name, `Array(Tuple(${this.keys.map((key) => `${key} String`).join(', ')}))`, [this.offsets, ...this.fields])
  }
}

/** A Nullable Int64-backed column (DateTime64 ticks): a null byte per row, then a value per row (0 under NULL). */
export class NullableTicksColumn {
  readonly nulls = writer()
  readonly values = writer()

  constructor(
    readonly name: string,
    private readonly type: string,
  ) {}

  add(ticks: number | null): void {
    this.nulls.uint8(ticks === null ? 1 : 0)
    this.values.int64(ticks ?? 0)
  }

  get column(): NativeColumn {
    return column(this.name, `Nullable(${this.type})`, [this.nulls, this.values])
  }
}

/** A column of one writer: String, UInt32, DateTime64 ticks. */
export function plainColumn(name: string, type: string, values: ByteWriter): NativeColumn {
  return column(name, type, [values])
}
