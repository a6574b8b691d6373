/**
 * Reading ClickHouse's RowBinaryWithNamesAndTypes, the form of the restore's pages: half the
 * bytes of JSON and about a third less of the store's time to write, no escaping to undo, and
 * each string decoded straight from the page into a string of its own (nothing the state keeps
 * points back into a page). Only the types the restore selects: String, Int64, Nullable(Int64),
 * Array(String), UInt8.
 */

export class RowBinaryReader {
  private pos = 0

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length
  }

  /** The header: column names, then their types. */
  header(): { names: string[]; types: string[] } {
    const count = this.varint()
    const names = Array.from({ length: count }, () => this.string())
    const types = Array.from({ length: count }, () => this.string())
    return { names, types }
  }

  private varint(): number {
    let value = 0
    let shift = 0
    for (;;) {
      const byte = this.buf[this.pos++]
      if (byte === undefined) throw new RangeError('RowBinary: page ends inside a length')
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
      shift += 7
    }
  }

  string(): string {
    const length = this.varint()
    if (length === 0) return ''
    const end = this.pos + length
    if (end > this.buf.length) throw new RangeError('RowBinary: page ends inside a string')
    const value = this.buf.toString('utf8', this.pos, end)
    this.pos = end
    return value
  }

  /** Exact up to 2^53 (µs timestamps are about 2^51). */
  int64(): number {
    const low = this.buf.readUInt32LE(this.pos)
    const high = this.buf.readInt32LE(this.pos + 4)
    this.pos += 8
    return high * 2 ** 32 + low
  }

  nullableInt64(): number | null {
    if (this.buf[this.pos++] === 1) return null
    return this.int64()
  }

  strings(): string[] {
    const count = this.varint()
    const values = new Array<string>(count)
    for (let i = 0; i < count; i++) values[i] = this.string()
    return values
  }

  uint8(): number {
    return this.buf.readUInt8(this.pos++)
  }
}
