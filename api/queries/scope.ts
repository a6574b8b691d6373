/**
 * Who is asking: a caller sees its own tenant; `'*'` (an admin key) sees every tenant. A tenant
 * filter narrows within what the scope allows, so a tenant asking for another tenant's data gets
 * nothing rather than an error that would confirm the data exists.
 */
import { PrivpathError } from '../../core/errors.js'
import { toMicros } from '../../core/store/rows.js'

export interface Scope {
  tenant: string
}

const ALL_TENANTS = '*'

/** `undefined` = every tenant, `null` = none visible, else the one tenant to read. */
export function visibleTenant(scope: Scope, requested?: string): string | undefined | null {
  requireString('scope.tenant', scope?.tenant)
  if (requested !== undefined) requireString('tenant', requested)
  if (scope.tenant === ALL_TENANTS) return requested === undefined || requested === ALL_TENANTS ? undefined : requested
  if (requested !== undefined && requested !== ALL_TENANTS && requested !== scope.tenant) return null
  return scope.tenant
}

export function badRequest(message: string): PrivpathError {
  return new PrivpathError('PP_ERR_BAD_REQUEST', message)
}

export function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} must be a non-empty string`)
  return value
}

export const MAX_LIMIT = 10_000

export function limitOf(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${value}`)
  }
  return value
}

/** Epoch ms → µs for an Int64 query parameter. */
export function timeParam(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw badRequest(`${field} must be epoch milliseconds, got ${value}`)
  }
  return toMicros(value, field)
}

/** `toUnixTimestamp64Micro` output (number, or string from a server quoting Int64) → epoch ms. */
export function msFromMicros(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value) / 1000
}
