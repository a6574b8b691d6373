/**
 * Turning one bus delivery into insert rows. Each row is its own bytes, so the inserter can cut
 * a batch anywhere (halving around a rejected row) and concatenate the rest; a value that cannot
 * be encoded is set aside with its error and leaves nothing behind.
 */
import { RowBinaryWriter } from '../core/store/row-binary.js'
import type { Encoded } from './inserter.js'

export interface EncodedDelivery {
  rows: Encoded[]
  unencodable: Array<{ value: unknown; error: unknown }>
}

export type DeliveryEncoder<T> = (values: readonly T[]) => EncodedDelivery

/** RowBinary rows written one after another into one buffer per delivery; each row is a view of its bytes. */
export function binaryRows<T>(write: (value: T, writer: RowBinaryWriter) => void): DeliveryEncoder<T> {
  return (values) => {
    const writer = new RowBinaryWriter()
    const ends: number[] = []
    const encoded: T[] = []
    const unencodable: EncodedDelivery['unencodable'] = []
    for (const value of values) {
      const start = writer.length
      try {
        write(value, writer)
        ends.push(writer.length)
        encoded.push(value)
      } catch (error) {
        writer.truncate(start)
        unencodable.push({ value, error })
      }
    }
    // Views are taken once writing is done: the writer moves to a larger buffer as it grows.
    const bytes = writer.finish()
    const rows = encoded.map((source, i) => ({ row: bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]), source }))
    return { rows, unencodable }
  }
}

/** One line of a JSON input format per value, newline included. */
export function jsonRows<T>(line: (value: T) => string): DeliveryEncoder<T> {
  return (values) => {
    const rows: Encoded[] = []
    const unencodable: EncodedDelivery['unencodable'] = []
    for (const value of values) {
      try {
        rows.push({ row: Buffer.from(line(value) + '\n'), source: value })
      } catch (error) {
        unencodable.push({ value, error })
      }
    }
    return { rows, unencodable }
  }
}
