/**
 * Events in `compareEvents` order, as a stable sort with that comparator would leave them, but
 * sorted by packed numeric keys in a Float64Array (a native sort, no comparator call per pair).
 * A key packs the microseconds since the batch's earliest event, the seq, the kind's rank and the
 * event's index: it fits a double exactly while the batch spans less than 2^30 µs (about 18
 * minutes), seqs stay below 256 and there are at most 8,192 events. One comparator pass checks
 * the result (a time with a fraction of a microsecond can round into a tie); anything outside
 * those bounds, or failing the check, is sorted with the comparator.
 */
import { compareEvents, kindRank, type PrivpathEvent } from '../../core/event.js'

const INDEX_SLOTS = 8_192
const RANK_SLOTS = 4
const SEQ_SLOTS = 256
const MICROS_LIMIT = 2 ** 53 / (INDEX_SLOTS * RANK_SLOTS * SEQ_SLOTS)

let comparatorSorts = 0

/** How many batches fell back to the comparator sort (for tests and diagnostics). */
export function comparatorSortCount(): number {
  return comparatorSorts
}

function compared(events: PrivpathEvent[]): PrivpathEvent[] {
  comparatorSorts++
  return events.sort(compareEvents)
}

/** `events` in order (the array itself may be reordered on the way). */
export function sortEvents(events: PrivpathEvent[]): PrivpathEvent[] {
  const count = events.length
  if (count < 2) return events
  if (count > INDEX_SLOTS) return compared(events)
  let earliest = events[0].ts
  let latest = earliest
  for (const event of events) {
    if (!Number.isFinite(event.ts) || !(event.seq >= 0 && event.seq < SEQ_SLOTS)) return compared(events)
    if (event.ts < earliest) earliest = event.ts
    if (event.ts > latest) latest = event.ts
  }
  if (!(Math.round((latest - earliest) * 1000) < MICROS_LIMIT)) return compared(events)
  const keys = new Float64Array(count)
  for (let index = 0; index < count; index++) {
    const event = events[index]
    const micros = Math.round((event.ts - earliest) * 1000)
    keys[index] = ((micros * SEQ_SLOTS + event.seq) * RANK_SLOTS + kindRank(event.kind)) * INDEX_SLOTS + index
  }
  keys.sort()
  const sorted = new Array<PrivpathEvent>(count)
  for (let index = 0; index < count; index++) sorted[index] = events[keys[index] % INDEX_SLOTS]
  for (let index = 1; index < count; index++) {
    if (compareEvents(sorted[index - 1], sorted[index]) > 0) return compared(events)
  }
  return sorted
}
