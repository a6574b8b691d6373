/**
 * Event time bounded by the time the collector received it. A sender's clock sets `ts`, and
 * everything downstream decides on it: the detector's watermark, windows and expiries, the store's
 * day partitions and TTL. A time further ahead of the receive time than the future skew, or
 * further behind it than the past horizon, is not trusted: the event takes the receive time, keeps
 * the time it was sent with in `attributes['privpath.original_ts']`, and is flagged `clock_skew`.
 */
import { nanosToMillis } from './attributes.js'

export const ORIGINAL_TS_ATTRIBUTE = 'privpath.original_ts'

/** The receive time and the times an event may carry around it, epoch ms. */
export interface TimeBounds {
  observedAt: number
  earliest: number
  latest: number
}

/** The time an event takes, and the time it was sent with when that was replaced ('' when kept). */
export interface EventTime {
  ts: number
  original: string
}

const MAX_RFC3339_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/**
 * A time as sent, as RFC 3339 with its own precision (nanoseconds, trailing zero groups of three
 * digits dropped); the raw nanosecond count when it is no date RFC 3339 can write.
 */
export function originalTime(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n)
  if (nanos < 0n || ms > MAX_RFC3339_MS) return nanos.toString()
  let fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0')
  while (fraction.endsWith('000')) fraction = fraction.slice(0, -3)
  return `${new Date(ms).toISOString().slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`
}

/**
 * The times of one span (or log record) as its events take them. Out-of-bounds times take the
 * receive time, and so do the record's other times on the same side of it: a span that started in
 * 1990 and ended a second ago would otherwise end before it started. Times before the receive
 * time are raised to it when any time is before the past horizon, times after it lowered to it
 * when any is past the future skew, which keeps the record's times in their order (equal times
 * are then ordered by seq).
 */
export class RecordClock {
  private readonly raise: boolean
  private readonly lower: boolean

  constructor(
    private readonly bounds: TimeBounds,
    millis: readonly number[],
  ) {
    let raise = false
    let lower = false
    for (const ms of millis) {
      if (ms < bounds.earliest) raise = true
      else if (ms > bounds.latest) lower = true
    }
    this.raise = raise
    this.lower = lower
  }

  at(nanos: bigint): EventTime {
    const ms = nanosToMillis(nanos)
    const { observedAt } = this.bounds
    if ((this.raise && ms < observedAt) || (this.lower && ms > observedAt)) return { ts: observedAt, original: originalTime(nanos) }
    return { ts: ms, original: '' }
  }
}

/** The time of a record that has only one (a log record). */
export function boundedTime(bounds: TimeBounds, nanos: bigint): EventTime {
  return new RecordClock(bounds, [nanosToMillis(nanos)]).at(nanos)
}
