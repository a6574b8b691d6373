import type { AnyValue } from './model.js'

/** Deeper AnyValue nesting than this is refused rather than risking the stack. */
export const MAX_VALUE_DEPTH = 64

/** How many per-item reject reasons a decode result keeps (the count is always exact). */
export const REJECT_REASON_LIMIT = 20

export const TRACE_ID_BYTES = 16
export const SPAN_ID_BYTES = 8

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const HIGH = new Uint8Array(256)
const LOW = new Uint8Array(256)
for (let i = 0; i < 256; i++) {
  HIGH[i] = HEX_BYTE[i].charCodeAt(0)
  LOW[i] = HEX_BYTE[i].charCodeAt(1)
}
const fromCharCode = String.fromCharCode

export function hex(buf: Uint8Array, start: number, end: number): string {
  // Ids are 8 or 16 bytes: one flat string from char codes, not fifteen concatenation nodes.
  if (end - start === 8) {
    const b0 = buf[start], b1 = buf[start + 1], b2 = buf[start + 2], b3 = buf[start + 3]
    const b4 = buf[start + 4], b5 = buf[start + 5], b6 = buf[start + 6], b7 = buf[start + 7]
    return fromCharCode(
      HIGH[b0], LOW[b0], HIGH[b1], LOW[b1], HIGH[b2], LOW[b2], HIGH[b3], LOW[b3],
      HIGH[b4], LOW[b4], HIGH[b5], LOW[b5], HIGH[b6], LOW[b6], HIGH[b7], LOW[b7],
    )
  }
  if (end - start === 16) return hex(buf, start, start + 8) + hex(buf, start + 8, end)
  let out = ''
  for (let i = start; i < end; i++) out += HEX_BYTE[buf[i]]
  return out
}

/**
 * Sets an attribute on a plain object; `__proto__` becomes an own property instead of replacing
 * the prototype, so a hostile key cannot change what the object inherits.
 */
export function setEntry(target: Record<string, AnyValue>, key: string, value: AnyValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

const TWO_POW_32 = 4294967296

/** Joins two 32-bit halves of an unsigned 64-bit integer exactly. */
export function uint64(hi: number, lo: number): bigint {
  // Below 2^53 the double is exact and one BigInt conversion is cheaper than shift-and-or.
  return hi < 0x200000 ? BigInt(hi * TWO_POW_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo)
}

/** Joins two 32-bit halves of a signed 64-bit integer: a number when safe, else a bigint. */
export function int64(hi: number, lo: number): number | bigint {
  if (hi < 0x200000) return hi * TWO_POW_32 + lo
  if (hi >= 0xffe00000) {
    // Negative: -(2^64 - value); safe when the magnitude stays below 2^53.
    const value = (hi - 0x100000000) * TWO_POW_32 + lo
    if (value >= Number.MIN_SAFE_INTEGER) return value
  }
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))
}
