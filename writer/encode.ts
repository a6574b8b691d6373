/**
 * How a table's bus values become one insert body. A batch is encoded when it is flushed, whole:
 * a Native block holds its rows column by column, so rows cannot be encoded one delivery at a time
 * and joined. A value that cannot be encoded is set aside with its error and leaves nothing in the
 * body; the inserter dead-letters it.
 */
import type { Alert } from '../core/alert.js'
import type { PrivpathEvent } from '../core/event.js'
import { EventBlock } from '../core/store/event-block.js'
import { alertToRow } from '../core/store/rows.js'

interface EncodedBatch {
  body: Buffer
  /** The values the body holds, in order: what a split re-encodes, and what the dead-letter file keeps of a rejected row. */
  rows: unknown[]
  unencodable: Array<{ value: unknown; error: unknown }>
}

export interface BatchEncoder {
  /** The ClickHouse input format of the body. */
  format: 'JSONEachRow' | 'Native'
  encode(values: readonly unknown[]): EncodedBatch
}

/**
 * Events as one Native block (core/store/event-block.ts): the cheapest body for ClickHouse to read
 * (bench/store-write.bench.ts). One block is kept and reset, so its column buffers are reused from
 * batch to batch (encoding is synchronous, and the body is a copy).
 */
export function nativeEvents(): BatchEncoder {
  const block = new EventBlock()
  return {
    format: 'Native',
    encode(values) {
      block.reset()
      const rows: unknown[] = []
      const unencodable: EncodedBatch['unencodable'] = []
      for (const value of values) {
        try {
          block.add(value as PrivpathEvent)
          rows.push(value)
        } catch (error) {
          unencodable.push({ value, error })
        }
      }
      return { body: block.finish(), rows, unencodable }
    },
  }
}

/** Alerts as JSONEachRow lines: few, and each wanted at once. */
export const alertLines: BatchEncoder = {
  format: 'JSONEachRow',
  encode(values) {
    let body = ''
    const rows: unknown[] = []
    const unencodable: EncodedBatch['unencodable'] = []
    for (const value of values) {
      try {
        body += JSON.stringify(alertToRow(value as Alert)) + '\n'
        rows.push(value)
      } catch (error) {
        unencodable.push({ value, error })
      }
    }
    return { body: Buffer.from(body), rows, unencodable }
  },
}
