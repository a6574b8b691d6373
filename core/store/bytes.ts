/**
 * The values of ClickHouse's binary formats (Native, native.ts), written straight into one growing
 * buffer: a String is its UTF-8 length as a LEB128 varint then its bytes, an integer or a
 * DateTime64 tick count its little-endian bytes.
 *
 * Binary data carries no delimiters, so a wrong value would shift every byte after it: each
 * method checks its value's type and throws RowEncodingError naming the column instead.
 */

export class RowEncodingError extends Error {
  override readonly name = 'RowEncodingError'
}

const INITIAL_BYTES = 1 << 16
const KEPT_BYTES = 4 << 20
const TWO_TO_32 = 0x1_0000_0000
/** Strings shorter than this are tried as ASCII, whose length then fits one varint byte. */
const ASCII_COPY_UNITS = 128

export class ByteWriter {
  private buf: Buffer
  private pos = 0

  constructor(private readonly initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes)
  }

  /** Empties the writer, keeping its buffer unless it grew past KEPT_BYTES (a batch of large content should not pin its size for good). */
  reset(): void {
    this.pos = 0
    if (this.buf.length > KEPT_BYTES) this.buf = Buffer.allocUnsafe(this.initialBytes)
  }

  get length(): number {
    return this.pos
  }

  /** Forgets what was written after `length` (a row that failed half way). */
  truncate(length: number): void {
    this.pos = Math.min(this.pos, length)
  }

  /** The bytes written so far, as a view: valid until the next write. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    let size = Math.max(this.buf.length * 2, 64)
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

  /** A safe integer (checked by the caller, e.g. rows.ts `ticks`) as Int64; a count or offset as UInt64 likewise. */
  int64(value: number): void {
    this.reserve(8)
    const high = Math.floor(value / TWO_TO_32)
    this.buf.writeUInt32LE(value - high * TWO_TO_32, this.pos)
    this.buf.writeInt32LE(high, this.pos + 4)
    this.pos += 8
  }
}
