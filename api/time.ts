import { PrivpathError } from '../core/errors.js'

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/** A query-string time: epoch milliseconds or an RFC 3339 timestamp with a zone. */
export function parseTime(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw)
  if (RFC3339.test(raw)) {
    const ms = Date.parse(raw)
    if (Number.isFinite(ms)) return ms
  }
  throw new PrivpathError('PP_ERR_BAD_REQUEST', `querystring/${field}: expected an RFC 3339 time (2026-01-31T12:00:00Z) or epoch milliseconds, got "${raw}"`)
}
