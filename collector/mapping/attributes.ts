/**
 * Reading OTLP attributes: typed look-ups that remember which keys were used, so whatever a
 * mapper did not turn into an event field can be kept, stringified, in `attributes`.
 */
import type { AnyValue, Attributes } from '../otlp/index.js'

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

function toJson(value: AnyValue): Json {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  if (Array.isArray(value)) return value.map(toJson)
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {}
    for (const [key, inner] of Object.entries(value)) out[key] = toJson(inner)
    return out
  }
  return value
}

/** Strings stay as they are; structures become JSON; bytes become hex; null becomes ''. */
export function stringify(value: AnyValue | undefined): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  return JSON.stringify(toJson(value))
}

/** A JSON string is parsed; anything else is returned as plain data. Unparseable strings stay strings. */
export function parseMaybeJson(value: AnyValue | undefined): unknown {
  if (typeof value !== 'string') return value === undefined ? undefined : toJson(value)
  const trimmed = value.trim()
  if (!(trimmed.startsWith('[') || trimmed.startsWith('{'))) return value
  try {
    return JSON.parse(trimmed) as unknown
  } catch {
    return value
  }
}

/** Up to this many used keys a linear search beats building a Set. */
const SHORT_LIST = 32

export class AttributeReader {
  /** Usually a handful of keys: a list is cheaper to fill than a Set (remaining() builds one when it is long). */
  private readonly used: string[] = []

  constructor(readonly attributes: Attributes) {}

  has(key: string): boolean {
    const value = this.own(key)
    return value !== undefined && value !== null && value !== ''
  }

  /** The raw value, marking the key used. */
  value(key: string): AnyValue | undefined {
    const value = this.own(key)
    if (value !== undefined) this.markUsed(key)
    return value
  }

  /**
   * One property look-up instead of a has-own check and a read: most keys a mapper asks for are
   * absent. What an attributes object inherits is Object.prototype's functions (never an AnyValue)
   * and its `__proto__` accessor, which only that key reaches.
   */
  private own(key: string): AnyValue | undefined {
    if (key === '__proto__') return Object.hasOwn(this.attributes, key) ? this.attributes[key] : undefined
    const value = this.attributes[key]
    return typeof value === 'function' ? undefined : value
  }

  private markUsed(key: string): void {
    this.used.push(key)
  }

  /** The value as a string without marking the key used. */
  peek(key: string): string {
    return stringify(this.own(key)).trim()
  }

  string(key: string): string {
    return stringify(this.value(key)).trim()
  }

  /** The first of several keys that holds a non-empty value. */
  first(...keys: string[]): string {
    return this.firstOf(keys)
  }

  firstOf(keys: readonly string[]): string {
    for (const key of keys) {
      const value = this.string(key)
      if (value !== '') return value
    }
    return ''
  }

  /** A string array, or a comma/space separated string. */
  list(key: string): string[] {
    const value = this.value(key)
    if (value === undefined || value === null) return []
    const items = Array.isArray(value) ? value.map((item) => stringify(item)) : stringify(value).split(/[\s,]+/)
    return items.map((item) => item.trim()).filter((item) => item !== '')
  }

  /** Keys under `prefix.`, marked used. */
  prefixed(prefix: string): Array<[string, AnyValue]> {
    const out: Array<[string, AnyValue]> = []
    for (const key in this.attributes) {
      if (key.startsWith(prefix) && Object.hasOwn(this.attributes, key)) {
        this.markUsed(key)
        out.push([key, this.attributes[key]])
      }
    }
    return out
  }

  /** Marks keys as used without reading them. */
  consume(...keys: string[]): void {
    for (const key of keys) this.markUsed(key)
  }

  remaining(): Array<[string, AnyValue]> {
    const usedSet = this.used.length > SHORT_LIST ? new Set(this.used) : undefined
    const out: Array<[string, AnyValue]> = []
    for (const key in this.attributes) {
      if (!Object.hasOwn(this.attributes, key)) continue
      if (usedSet ? usedSet.has(key) : this.used.includes(key)) continue
      out.push([key, this.attributes[key]])
    }
    return out
  }
}

/**
 * Flattened lists (`gen_ai.prompt.0.role`, `llm.input_messages.1.message.content`) back into
 * objects: index → { rest-of-key → value }, in index order.
 */
export function indexedEntries(reader: AttributeReader, prefix: string): Array<Record<string, AnyValue>> {
  const byIndex = new Map<number, Record<string, AnyValue>>()
  for (const [key, value] of reader.prefixed(`${prefix}.`)) {
    const match = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length + 1))
    if (!match) continue
    const index = Number(match[1])
    const entry = byIndex.get(index) ?? {}
    entry[match[2]] = value
    byIndex.set(index, entry)
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry)
}

export function nanosToMillis(nanos: bigint): number {
  return Number(nanos / 1000n) / 1000
}
