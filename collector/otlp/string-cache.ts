import type { Reader } from 'protobufjs/minimal.js'

/*
 * Attribute keys and most short values repeat from span to span (gen_ai.operation.name,
 * tenant ids, tool names). Decoding them once and handing back the same string saves the UTF-8
 * decode, the garbage, and V8's re-internalisation of every fresh key used as a property name.
 * The cache is a fixed-size, direct-mapped table from bytes to string: a pure function of its
 * input, so sharing it between requests reveals nothing, and its memory is bounded.
 */

const SLOT_BITS = 12
const SLOTS = 1 << SLOT_BITS
const MAX_CACHED_BYTES = 48
const slotBytes = new Uint8Array(SLOTS * MAX_CACHED_BYTES)
const slotView = new DataView(slotBytes.buffer)
const slotLength = new Int32Array(SLOTS)
const slotString: string[] = new Array<string>(SLOTS).fill('')

/** A view of the request buffer being read, for reading four bytes at a time; made once per buffer. */
let viewed: Uint8Array | undefined
let view: DataView<ArrayBufferLike> = slotView

/** Lets go of the last request buffer, so that it is not kept alive after its decode. */
export function releaseRequestBuffer(): void {
  viewed = undefined
  view = slotView
}

/** Whether a request buffer is still referenced (for tests and diagnostics). */
export function holdsRequestBuffer(): boolean {
  return viewed !== undefined
}

function viewOf(buf: Uint8Array): DataView {
  if (buf !== viewed) {
    viewed = buf
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  return view
}

function sameBytes(buf: Uint8Array, start: number, base: number, length: number): boolean {
  const bytes = viewOf(buf)
  let i = 0
  for (; i + 4 <= length; i += 4) if (slotView.getInt32(base + i, true) !== bytes.getInt32(start + i, true)) return false
  for (; i < length; i++) if (slotBytes[base + i] !== buf[start + i]) return false
  return true
}

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
  // Hashing a sample (length, first and last four bytes) is enough to pick a slot; the full
  // comparison below decides equality, so a sample collision only costs a decode, never a wrong string.
  let hash = Math.imul(0x811c9dc5 ^ length, 16777619)
  if (length >= 4) {
    const bytes = viewOf(buf)
    hash = Math.imul(hash ^ bytes.getInt32(start, true), 16777619)
    hash = Math.imul(hash ^ bytes.getInt32(end - 4, true), 16777619)
  } else {
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i], 16777619)
  }
  // Multiplying only carries low bits upwards: fold the high half down before taking the slot.
  hash ^= hash >>> 16
  const slot = Math.imul(hash, 0x85ebca6b) >>> (32 - SLOT_BITS)
  const base = slot * MAX_CACHED_BYTES
  reader.pos = end
  if (slotLength[slot] === length && sameBytes(buf, start, base, length)) return slotString[slot]
  reader.pos = lengthAt
  const value = reader.string()
  for (let i = 0; i < length; i++) slotBytes[base + i] = buf[start + i]
  slotLength[slot] = length
  slotString[slot] = value
  return value
}
