/**
 * ClickHouse's RowBinary input format, written straight into one growing buffer: a String is its
 * UTF-8 length as a LEB128 varint then its bytes (LowCardinality(String) likewise), an integer or a
 * DateTime64 its little-endian bytes, a Nullable a null byte (1 = NULL) then the value, an Array
 * or a Map an element count then the elements, a Tuple its elements in order. ClickHouse reads it
 * without parsing text: what JSON rows cost it in quoting, escaping and number parsing is gone,
 * and so is what JSON.stringify costs here (see bench/store-write.bench.ts).
 *
 * RowBinary carries no types or delimiters, so a wrong value would shift every byte after it:
 * each method checks its value's type and throws RowEncodingError naming the column instead.
 */

export class RowEncodingError extends Error {
  override readonly name = 'RowEncodingError'
}

const INITIAL_BYTES = 1 << 16
const TWO_TO_32 = 0x1_0000_0000
/** Strings shorter than this are tried as ASCII, whose length then fits one varint byte. */
const ASCII_COPY_UNITS = 128

export class RowBinaryWriter {
  private buf: Buffer
  private pos = 0

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes)
  }

  get length(): number {
    return this.pos
  }

  /** Forgets what was written after `length` (a row that failed half way). */
  truncate(length: number): void {
    this.pos = Math.min(this.pos, length)
  }

  /** The bytes written so far; views of it stay valid, since the writer never writes to it again. */
  finish(): Buffer {
    const out = this.buf.subarray(0, this.pos)
    this.buf = Buffer.allocUnsafe(0)
    this.pos = 0
    return out
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    let size = Math.max(this.buf.length * 2, INITIAL_BYTES)
    while (size < this.pos + bytes) size *= 2
    const grown = Buffer.allocUnsafe(size)
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }

  varint(value: number): void {
    this.reserve(10)
    let v = value
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.pos++] = v
  }

  string(value: string, column: string): void {
    if (typeof value !== 'string') throw new RowEncodingError(`${column} is not a string: ${typeof value}`)
    const units = value.length
    if (units === 0) {
      this.reserve(1)
      this.buf[this.pos++] = 0
      return
    }
    this.reserve(units * 3 + 5)
    if (units < ASCII_COPY_UNITS) {
      // Ids and names, most columns' values, are short ASCII: copied here, cheaper than a call into
      // Buffer#write. Under 128 units an ASCII string's length is one varint byte.
      const start = this.pos + 1
      let i = 0
      for (; i < units; i++) {
        const code = value.charCodeAt(i)
        if (code >= 0x80) break
        this.buf[start + i] = code
      }
      if (i === units) {
        this.buf[this.pos] = units
        this.pos = start + units
        return
      }
    }
    this.varint(Buffer.byteLength(value))
    this.pos += this.buf.write(value, this.pos)
  }

  strings(values: readonly string[], column: string): void {
    if (!Array.isArray(values)) throw new RowEncodingError(`${column} is not an array: ${typeof values}`)
    this.varint(values.length)
    for (const value of values) this.string(value, column)
  }

  /** A Map(String, String) from an object's own enumerable keys. */
  stringMap(map: Readonly<Record<string, string>>, column: string): void {
    if (map === null || typeof map !== 'object') throw new RowEncodingError(`${column} is not an object: ${map === null ? 'null' : typeof map}`)
    const keys = Object.keys(map)
    this.varint(keys.length)
    for (const key of keys) {
      this.string(key, column)
      this.string(map[key], column)
    }
  }

  uint8(value: number): void {
    this.reserve(1)
    this.buf[this.pos++] = value
  }

  uint32(value: number, column: string): void {
    if (!Number.isInteger(value) || value < 0 || value >= TWO_TO_32) throw new RowEncodingError(`${column} is not a UInt32: ${value}`)
    this.reserve(4)
    this.buf.writeUInt32LE(value, this.pos)
    this.pos += 4
  }

  /** A safe integer (checked by the caller, e.g. rows.ts `ticks`) as Int64. */
  int64(value: number): void {
    this.reserve(8)
    const high = Math.floor(value / TWO_TO_32)
    this.buf.writeUInt32LE(value - high * TWO_TO_32, this.pos)
    this.buf.writeInt32LE(high, this.pos + 4)
    this.pos += 8
  }
}
