import { describe, expect, it } from 'vitest'
import { RowBinaryReader } from './history-binary.js'
import { checkStateHeader } from './history-rows.js'

/** RowBinary's encodings, written out by hand. */
function varint(n: number): number[] {
  const out: number[] = []
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0))
    n = Math.floor(n / 128)
  } while (n > 0)
  return out
}
const str = (s: string) => [...varint(Buffer.byteLength(s)), ...Buffer.from(s)]
function int64(n: number): number[] {
  const b = Buffer.alloc(8)
  b.writeBigInt64LE(BigInt(n))
  return [...b]
}

describe('RowBinaryReader', () => {
  it('reads the header and the types the restore selects, long and non-ASCII strings included', () => {
    const long = 'x'.repeat(300)
    const bytes = Buffer.from([
      ...varint(2), ...str('a'), ...str('b'), ...str('String'), ...str('Int64'),
      ...str(long), ...str('zürich'), ...int64(1_796_638_130_610_028), ...int64(-5),
      1, 0, ...int64(42), ...varint(2), ...str('db:read'), ...str(''), 7,
    ])
    const r = new RowBinaryReader(bytes)
    expect(r.header()).toEqual({ names: ['a', 'b'], types: ['String', 'Int64'] })
    expect([r.string(), r.string(), r.int64(), r.int64()]).toEqual([long, 'zürich', 1_796_638_130_610_028, -5])
    expect([r.nullableInt64(), r.nullableInt64(), r.strings(), r.uint8()]).toEqual([null, 42, ['db:read', ''], 7])
    expect(r.done).toBe(true)
  })

  it('refuses a page cut inside a string', () => {
    expect(() => new RowBinaryReader(Buffer.from([5, 0x61])).string()).toThrow(/inside a string/)
  })

  it('refuses a page whose columns are not the state’s, naming what it got', () => {
    expect(() => checkStateHeader({ names: ['state_event_id'], types: ['String'] }, ['state_held', 'UInt8'])).toThrow(/unexpected columns \(state_event_id String\)/)
  })
})
