/**
 * One clock for every time the SDK records. OpenTelemetry JS stamps a span's start with
 * `Date.now()` (whole milliseconds) and its events and end relative to that start, so a child
 * started within the same millisecond as its parent's event can appear to precede it. privpath
 * compares those times (used after revocation, after task end), so the SDK passes explicit times
 * from a monotonic clock that follows the wall clock with sub-millisecond resolution.
 */
import { performance } from 'node:perf_hooks'

const REANCHOR_AFTER_MS = 60_000

let anchorWall = Date.now()
let anchorPerf = performance.now()
let last = 0

/** Epoch milliseconds with a fraction; never goes backwards within the process. */
export function preciseNow(): number {
  const perf = performance.now()
  if (perf - anchorPerf > REANCHOR_AFTER_MS) {
    // Follow wall-clock adjustments (NTP) without letting time run backwards.
    anchorWall = Date.now()
    anchorPerf = performance.now()
  }
  last = Math.max(last, anchorWall + (perf - anchorPerf))
  return last
}
