import type { Reader } from 'protobufjs/minimal.js'

/*
 * Attribute keys and most short values repeat from span to span (gen_ai.operation.name,
 * tenant ids, tool names). Decoding them once and handing back the same string saves the UTF-8
 * decode, the garbage, and V8's re-internalisation of every fresh key used as a property name.
 * The cache is a fixed-size, direct-mapped table from bytes to string: a pure function of its
 * input, so sharing it between requests reveals nothing, and its memory is bounded.
 */

const SLOTS = 4096
const MAX_CACHED_BYTES = 48
const slotBytes = new Uint8Array(SLOTS * MAX_CACHED_BYTES)
const slotLength = new Int32Array(SLOTS)
const slotString: string[] = new Array<string>(SLOTS).fill('')

/** Reads a length-delimited string, through the cache when it is short. */
export function readString(reader: Reader): string {
  const lengthAt = reader.pos
  const length = reader.size()
  if (length === 0 || length > MAX_CACHED_BYTES) {
    reader.pos = lengthAt
    return reader.string()
  }
  const buf = reader.buf
  const start = reader.pos
  const end = start + length
  if (end > reader.len) {
    reader.pos = lengthAt
    return reader.string()
  }
  // Hashing a sample (length, head, tail) is enough to pick a slot; the full comparison below
  // decides equality, so a sample collision only costs a decode, never a wrong string.
  let hash = Math.imul(0x811c9dc5 ^ length, 16777619)
  const head = length < 4 ? end : start + 4
  for (let i = start; i < head; i++) hash = Math.imul(hash ^ buf[i], 16777619)
  for (let i = end - 6 > head ? end - 6 : head; i < end; i++) hash = Math.imul(hash ^ buf[i], 16777619)
  const slot = (hash >>> 0) & (SLOTS - 1)
  const base = slot * MAX_CACHED_BYTES
  reader.pos = end
  if (slotLength[slot] === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (slotBytes[base + i] !== buf[start + i]) {
        same = false
        break
      }
    }
    if (same) return slotString[slot]
  }
  reader.pos = lengthAt
  const value = reader.string()
  for (let i = 0; i < length; i++) slotBytes[base + i] = buf[start + i]
  slotLength[slot] = length
  slotString[slot] = value
  return value
}
