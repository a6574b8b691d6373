import { DecodeFailure, within } from './decode-failure.js'
import type { AnyValue, Attributes, InstrumentationScope, Resource } from './model.js'
import { MAX_VALUE_DEPTH, setEntry } from './values.js'

/*
 * Readers for the OTLP/JSON encoding (protojson with the OTLP exceptions): lowerCamelCase field
 * names, with the proto snake_case names accepted too; ids as hex; 64-bit integers as decimal
 * strings or numbers; enums as integers (names accepted); bytes as base64. Unknown fields are
 * ignored and null reads as the field's default. A wrongly typed field fails the request with
 * its path; malformed ids only reject their span or record (see item-checks.ts).
 */

export type JsonObject = Record<string, unknown>

const UINT64_MAX = (1n << 64n) - 1n
const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n
const UNSIGNED = /^\d{1,20}$/
const SIGNED = /^-?\d{1,20}$/
const HEX = /^[0-9a-fA-F]*$/
const BASE64 = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/

export function field(object: JsonObject, camel: string, snake: string): unknown {
  const value = object[camel]
  return value === undefined || value === null ? object[snake] : value
}

function kind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** `name` is the failing field relative to where the caller reports; '' when it is that place. */
function fail(name: string, expected: string, value: unknown): never {
  const failure = new DecodeFailure(`expected ${expected}, got ${kind(value)}`)
  if (name !== '') failure.segments.push(name)
  throw failure
}

export function asObject(value: unknown, name: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) fail(name, 'an object', value)
  return value as JsonObject
}

export function asArray(value: unknown, name: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) fail(name, 'an array', value)
  return value
}

export function asString(value: unknown, name: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') fail(name, 'a string', value)
  return value
}

/** uint64 / fixed64 (times): a decimal string or a non-negative integer number. */
export function asUint64(value: unknown, name: string): bigint {
  if (value === undefined || value === null) return 0n
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2 ** 64) {
    const big = BigInt(value)
    if (big <= UINT64_MAX) return big
  }
  if (typeof value === 'string' && UNSIGNED.test(value)) {
    const big = BigInt(value)
    if (big <= UINT64_MAX) return big
  }
  return fail(name, 'an unsigned 64-bit integer (decimal string or number)', value)
}

/** int64: a number when within ±2^53, else a bigint. */
function asInt64(value: unknown, name: string): number | bigint {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 63) {
    return Number.isSafeInteger(value) ? value : clampInt64(BigInt(value), name, value)
  }
  if (typeof value === 'string' && SIGNED.test(value)) {
    const big = clampInt64(BigInt(value), name, value)
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
  }
  return fail(name, 'a signed 64-bit integer (decimal string or number)', value)
}

function clampInt64(big: bigint, name: string, value: unknown): bigint {
  if (big < INT64_MIN || big > INT64_MAX) fail(name, 'a signed 64-bit integer (decimal string or number)', value)
  return big
}

/** An enum: its integer value, or (as protojson also allows) its name. */
export function asEnum(value: unknown, name: string, names: Readonly<Record<string, number>>): number {
  if (value === undefined || value === null) return 0
  if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]
  return fail(name, 'an enum integer or name', value)
}

function asDouble(value: unknown, name: string): number {
  if (typeof value === 'number') return value
  if (value === 'NaN') return Number.NaN
  if (value === 'Infinity') return Number.POSITIVE_INFINITY
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return fail(name, 'a number', value)
}

function asBytes(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) return fail(name, 'a base64 string', value)
  return new Uint8Array(Buffer.from(value, 'base64'))
}

/**
 * An id as lowercase hex. The length is checked by item-checks; here a non-hex value is turned
 * into a problem for its span or record, not an error for the request.
 */
export function asHexId(value: unknown, name: string): { id: string; problem?: string } {
  if (value === undefined || value === null || value === '') return { id: '' }
  if (typeof value !== 'string') return { id: '', problem: `${name}: expected a hex string, got ${kind(value)}` }
  if (value.length % 2 !== 0 || !HEX.test(value)) {
    return { id: '', problem: `${name}: expected hex (not base64), got ${JSON.stringify(value.slice(0, 40))}` }
  }
  return { id: value.toLowerCase() }
}

export function readAnyValue(value: unknown, depth: number): AnyValue {
  if (depth > MAX_VALUE_DEPTH) throw new DecodeFailure(`values nested deeper than ${MAX_VALUE_DEPTH} levels`)
  const object = asObject(value, '')
  if (object === undefined) return null
  let v: unknown
  if ((v = field(object, 'stringValue', 'string_value')) != null) return asString(v, 'stringValue')
  if ((v = field(object, 'boolValue', 'bool_value')) != null) {
    return typeof v === 'boolean' ? v : fail('boolValue', 'a boolean', v)
  }
  if ((v = field(object, 'intValue', 'int_value')) != null) return asInt64(v, 'intValue')
  if ((v = field(object, 'doubleValue', 'double_value')) != null) return asDouble(v, 'doubleValue')
  if ((v = field(object, 'arrayValue', 'array_value')) != null) {
    const values = asArray(asObject(v, 'arrayValue')?.values, 'arrayValue.values')
    const out: AnyValue[] = new Array<AnyValue>(values.length)
    for (let i = 0; i < values.length; i++) {
      try {
        out[i] = readAnyValue(values[i], depth + 1)
      } catch (error) {
        within(`arrayValue.values[${i}]`, error)
      }
    }
    return out
  }
  if ((v = field(object, 'kvlistValue', 'kvlist_value')) != null) {
    const entries: Attributes = {}
    readKeyValues(asObject(v, 'kvlistValue')?.values, entries, 'kvlistValue.values', depth + 1)
    return entries
  }
  if ((v = field(object, 'bytesValue', 'bytes_value')) != null) return asBytes(v, 'bytesValue')
  return null
}

/** A repeated KeyValue field into `target`; the last duplicate key wins. */
function readKeyValues(value: unknown, target: Attributes, name: string, depth = 0): void {
  const list = asArray(value, name)
  for (let i = 0; i < list.length; i++) {
    try {
      const entry = asObject(list[i], '')
      if (entry === undefined) continue
      const key = asString(entry.key, 'key')
      let item: AnyValue
      try {
        item = readAnyValue(entry.value, depth)
      } catch (error) {
        within('value', error)
      }
      setEntry(target, key, item)
    } catch (error) {
      within(`${name}[${i}]`, error)
    }
  }
}

export function readAttributes(object: JsonObject, name = 'attributes'): Attributes {
  const attributes: Attributes = {}
  readKeyValues(object[name], attributes, name)
  return attributes
}

export function readResource(value: unknown): Resource {
  const object = asObject(value, 'resource')
  return { attributes: object === undefined ? {} : readAttributes(object) }
}

export function readScope(value: unknown): InstrumentationScope {
  const object = asObject(value, 'scope')
  if (object === undefined) return { name: '', version: '', attributes: {} }
  return {
    name: asString(object.name, 'name'),
    version: asString(object.version, 'version'),
    attributes: readAttributes(object),
  }
}

export function parseJson(body: Uint8Array | string): unknown {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new DecodeFailure(`invalid JSON (${error instanceof Error ? error.message : String(error)})`)
  }
}
