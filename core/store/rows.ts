/**
 * PrivpathEvent / Alert ⇄ ClickHouse rows: JSONCompactEachRow lines for event inserts other than
 * the writer's (values in EVENT_COLUMNS order, no keys; the writer sends Native blocks holding the
 * same values, event-block.ts), JSONEachRow objects for alerts and reads.
 *
 * Times travel as integer ticks of the column's precision (µs for DateTime64(6), ms for
 * DateTime64(3)): ClickHouse reads a JSON integer into a DateTime64 as ticks, which is exact and
 * the cheapest to produce (see bench/row-encoding.bench.ts). Reads select ticks back through
 * `toUnixTimestamp64Micro/Milli` under `*_us` / `*_ms` aliases, so a WHERE or ORDER BY on the
 * real column never sees a shadowing alias.
 */
import type { Alert } from '../alert.js'
import type { PrivpathEvent } from '../event.js'
import { EVENT_COLUMNS_V1 } from './migrations/001_events.js'
import { DOMAIN_COLUMN } from './migrations/006_event_domain.js'
import { REQUESTED_CALLS_COLUMN, TOOL_RESULT_COLUMN } from './migrations/007_tool_results.js'
import { ALERT_COLUMNS as ALERT_COLUMNS_V1 } from './migrations/004_alerts.js'
import { CATEGORY_COLUMN } from './migrations/008_alert_category.js'
import { RowEncodingError } from './bytes.js'

export type EventRow = Omit<PrivpathEvent, 'ts' | 'observed_at' | 'credential_expires_at'> & {
  ts: number
  observed_at: number
  credential_expires_at: number | null
}

export type AlertRow = Omit<Alert, 'first_seen' | 'last_seen' | 'window_start' | 'updated_at'> & {
  first_seen: number
  last_seen: number
  window_start: number
  updated_at: number
}

/** Thrown for a value ClickHouse would reject, so the writer can set the row aside without a round trip. */
export { RowEncodingError }

/**
 * Whole and fractional milliseconds are scaled apart: `ms * 1000` in one step rounds twice near
 * 2^52 and is off by a microsecond after 2109, while this stays exact to the µs until 2248.
 */
function ticks(value: number, perMs: number, field: string): number {
  const whole = Math.floor(value)
  const t = whole * perMs + Math.round((value - whole) * perMs)
  if (!Number.isSafeInteger(t)) throw new RowEncodingError(`${field} is not a finite time: ${value}`)
  return t
}

/** Epoch ms (with µs fraction) → µs ticks for DateTime64(6). */
export const toMicros = (ms: number, field = 'time'): number => ticks(ms, 1000, field)
/** Epoch ms → ms ticks for DateTime64(3). */
export const toMillis = (ms: number, field = 'time'): number => ticks(ms, 1, field)

export function eventToRow(e: PrivpathEvent): EventRow {
  return {
    ...e,
    ts: toMicros(e.ts, 'ts'),
    observed_at: toMillis(e.observed_at, 'observed_at'),
    credential_expires_at:
      e.credential_expires_at === null ? null : toMillis(e.credential_expires_at, 'credential_expires_at'),
  }
}

/** Every column of `events`, in PrivpathEvent field order (domain came with migration 6, tool results with 7). */
const after = (column: string): number => EVENT_COLUMNS_V1.findIndex((c) => c.startsWith(`${column} `)) + 1
const AFTER_TENANT = after('tenant_id')
const AFTER_ARGUMENTS = after('tool_arguments')
const EVENT_COLUMNS: readonly string[] = [
  ...EVENT_COLUMNS_V1.slice(0, AFTER_TENANT),
  DOMAIN_COLUMN,
  ...EVENT_COLUMNS_V1.slice(AFTER_TENANT, AFTER_ARGUMENTS),
  TOOL_RESULT_COLUMN,
  REQUESTED_CALLS_COLUMN,
  ...EVENT_COLUMNS_V1.slice(AFTER_ARGUMENTS),
]
/** Every column of `alerts`, in Alert field order (the category column came with migration 8). */
const AFTER_SEVERITY = ALERT_COLUMNS_V1.findIndex((c) => c.startsWith('severity ')) + 1
const ALERT_COLUMNS: readonly string[] = [...ALERT_COLUMNS_V1.slice(0, AFTER_SEVERITY), CATEGORY_COLUMN, ...ALERT_COLUMNS_V1.slice(AFTER_SEVERITY)]

/** Column list of an event insert in JSONCompactEachRow; `eventToCompactRow` writes values in this order. */
export const EVENT_INSERT_COLUMNS: readonly string[] = EVENT_COLUMNS.map((c) => c.slice(0, c.indexOf(' ')))

/** One JSONCompactEachRow line (no newline) holding `eventToRow(e)`'s values in EVENT_INSERT_COLUMNS order. */
export function eventToCompactRow(e: PrivpathEvent): string {
  return JSON.stringify([
    e.event_id,
    e.kind,
    toMicros(e.ts, 'ts'),
    e.seq,
    toMillis(e.observed_at, 'observed_at'),
    e.tenant_id,
    e.domain,
    e.task_id,
    e.trace_id,
    e.span_id,
    e.parent_span_id,
    e.agent_id,
    e.agent_name,
    e.workload_id,
    e.user_id,
    e.source,
    e.name,
    e.tool_name,
    e.tool_call_id,
    e.tool_arguments,
    e.tool_result,
    e.requested_calls,
    e.target_resource,
    e.target_tenant,
    e.credential_id,
    e.credential_type,
    e.credential_issuer,
    e.credential_subject,
    e.credential_scopes,
    e.credential_expires_at === null ? null : toMillis(e.credential_expires_at, 'credential_expires_at'),
    e.credential_task_id,
    e.authz_result,
    e.authz_policy,
    e.authz_engine,
    e.authz_action,
    e.authz_resource,
    e.delegate_agent_id,
    e.delegate_agent_name,
    e.delegated_scopes,
    e.approval_result,
    e.approval_approver,
    e.approval_action,
    e.content,
    e.status,
    e.error,
    e.flags,
    e.attributes,
  ])
}

export function alertToRow(a: Alert): AlertRow {
  return {
    ...a,
    first_seen: toMicros(a.first_seen, 'first_seen'),
    last_seen: toMicros(a.last_seen, 'last_seen'),
    window_start: toMicros(a.window_start, 'window_start'),
    updated_at: toMicros(a.updated_at, 'updated_at'),
  }
}

const columnName = (definition: string): string => definition.slice(0, definition.indexOf(' '))

const EVENT_TIME_READS: Record<string, string> = {
  ts: 'toUnixTimestamp64Micro(ts) AS ts_us',
  observed_at: 'toUnixTimestamp64Milli(observed_at) AS observed_at_ms',
  credential_expires_at: 'toUnixTimestamp64Milli(credential_expires_at) AS credential_expires_at_ms',
}

/** SELECT list that `rowToEvent` understands; prefix with a table alias when joining. */
export const EVENT_SELECT = EVENT_COLUMNS.map(columnName)
  .map((c) => EVENT_TIME_READS[c] ?? c)
  .join(', ')

export const ALERT_SELECT = ALERT_COLUMNS.map(columnName)
  .map((c) => (c.endsWith('_seen') || c === 'window_start' || c === 'updated_at' ? `toUnixTimestamp64Micro(${c}) AS ${c}_us` : c))
  .join(', ')

type Read = Record<string, unknown>

/** Int64 arrives as a number or, from a server that quotes 64-bit integers, a string. */
const micros = (v: unknown): number => Number(v) / 1000
const millis = (v: unknown): number => Number(v)

export function rowToEvent(row: Read): PrivpathEvent {
  const { ts_us, observed_at_ms, credential_expires_at_ms, ...rest } = row
  return {
    ...(rest as Omit<PrivpathEvent, 'ts' | 'observed_at' | 'credential_expires_at'>),
    seq: Number(rest.seq),
    ts: micros(ts_us),
    observed_at: millis(observed_at_ms),
    credential_expires_at: credential_expires_at_ms === null ? null : millis(credential_expires_at_ms),
  } as PrivpathEvent
}

export function rowToAlert(row: Read): Alert {
  const { first_seen_us, last_seen_us, window_start_us, updated_at_us, ...rest } = row
  return {
    ...(rest as Omit<Alert, 'first_seen' | 'last_seen' | 'window_start' | 'updated_at'>),
    count: Number(rest.count),
    first_seen: micros(first_seen_us),
    last_seen: micros(last_seen_us),
    window_start: micros(window_start_us),
    updated_at: micros(updated_at_us),
  } as Alert
}
