import { BufferReader, type Reader } from 'protobufjs/minimal.js'

import { DecodeFailure, within } from './decode-failure.js'
import type { AnyValue, Attributes, InstrumentationScope, Resource } from './model.js'
import { readString } from './string-cache.js'
import { MAX_VALUE_DEPTH, hex, int64, setEntry, uint64 } from './values.js'

/*
 * Wire-level helpers shared by the trace and log decoders. Field numbers are those of
 * opentelemetry/proto/common/v1/common.proto and resource/v1/resource.proto. Decoders switch on
 * the whole tag (field << 3 | wire type), so a known field sent with an unexpected wire type
 * falls through to the unknown-field skip, as proto3 parsers do.
 */

/** A Buffer-backed reader: protobufjs then decodes strings with Node's native UTF-8 slice. */
export function createReader(body: Uint8Array): Reader {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  return new BufferReader(buffer)
}

/**
 * Narrows the reader to the length-delimited message that starts at its position and returns the
 * outer limit for `leave`. With the limit narrowed, every read inside the message (strings,
 * skips, nested lengths) is bounds-checked against the message end, not the buffer end.
 */
export function enter(reader: Reader): number {
  const length = reader.size()
  const end = reader.pos + length
  if (end > reader.len) {
    throw new DecodeFailure(
      `truncated input: message of ${length} bytes at offset ${reader.pos}, only ${reader.len - reader.pos} remain`,
    )
  }
  const outer = reader.len
  reader.len = end
  return outer
}

export function leave(reader: Reader, outer: number): void {
  reader.len = outer
}

export function skipField(reader: Reader, tag: number): void {
  reader.skipType(tag & 7, 0, tag >>> 3)
}

/** Reads a bytes field as lowercase hex without materialising the bytes. */
export function readHex(reader: Reader): string {
  const start = takeBytes(reader)
  return hex(reader.buf, start, reader.pos)
}

/** Moves past a bytes field and returns where its bytes start (they end at the new position). */
export function takeBytes(reader: Reader): number {
  const length = reader.size()
  const start = reader.pos
  if (start + length > reader.len) {
    throw new DecodeFailure(`truncated input: ${length} bytes at offset ${start}, only ${reader.len - start} remain`)
  }
  reader.pos = start + length
  return start
}

/** A copy, so a decoded value never pins (or aliases) the whole request buffer. */
function readBytesCopy(reader: Reader): Uint8Array {
  const view = reader.bytes()
  return new Uint8Array(view)
}

export function readFixed64(reader: Reader): bigint {
  const lo = reader.fixed32()
  return uint64(reader.fixed32(), lo)
}

/** int64 varint, exact: a number when within ±2^53, else a bigint. */
export function readInt64(reader: Reader): number | bigint {
  const buf = reader.buf
  const len = reader.len
  let pos = reader.pos
  let lo = 0
  let b: number
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= len) throw truncatedVarint(reader)
    b = buf[pos++]
    lo |= (b & 127) << shift
    if (b < 128) {
      reader.pos = pos
      return lo
    }
  }
  if (pos >= len) throw truncatedVarint(reader)
  b = buf[pos++]
  lo |= (b & 127) << 28
  let hi = (b & 127) >> 4
  if (b < 128) {
    reader.pos = pos
    return int64(hi >>> 0, lo >>> 0)
  }
  for (let shift = 3; shift < 32; shift += 7) {
    if (pos >= len) throw truncatedVarint(reader)
    b = buf[pos++]
    hi |= (b & 127) << shift
    if (b < 128) {
      reader.pos = pos
      return int64(hi >>> 0, lo >>> 0)
    }
  }
  throw new DecodeFailure(`invalid varint encoding at offset ${reader.pos}`)
}

function truncatedVarint(reader: Reader): DecodeFailure {
  return new DecodeFailure(`truncated input: varint at offset ${reader.pos} runs past the end`)
}

/** common.v1.AnyValue: the oneof's last value wins; an empty AnyValue is null. */
export function readAnyValue(reader: Reader, depth: number): AnyValue {
  if (depth > MAX_VALUE_DEPTH) throw new DecodeFailure(`values nested deeper than ${MAX_VALUE_DEPTH} levels`)
  const outer = enter(reader)
  let value: AnyValue = null
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: value = readString(reader); break
      case 16: value = reader.bool(); break
      case 24: value = readInt64(reader); break
      case 33: value = reader.double(); break
      case 42: value = readArrayValue(reader, depth + 1); break
      case 50: value = readKeyValueList(reader, depth + 1); break
      case 58: value = readBytesCopy(reader); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return value
}

function readArrayValue(reader: Reader, depth: number): AnyValue[] {
  const outer = enter(reader)
  const values: AnyValue[] = []
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        values.push(readAnyValue(reader, depth))
      } catch (error) {
        within(`arrayValue.values[${values.length}]`, error)
      }
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return values
}

function readKeyValueList(reader: Reader, depth: number): Attributes {
  const outer = enter(reader)
  const entries: Attributes = {}
  let index = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) {
      try {
        readKeyValue(reader, entries, depth)
      } catch (error) {
        within(`kvlistValue.values[${index}]`, error)
      }
      index++
    } else {
      skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return entries
}

/** common.v1.KeyValue into `target`; a key without a value is null. */
function readKeyValue(reader: Reader, target: Attributes, depth: number): void {
  const outer = enter(reader)
  let key = ''
  let value: AnyValue = null
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: key = readString(reader); break
      case 18:
        try {
          value = readAnyValue(reader, depth)
        } catch (error) {
          within('value', error)
        }
        break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  setEntry(target, key, value)
}

/** Reads one repeated KeyValue element (the caller saw its tag) and names it on failure. */
export function readAttribute(reader: Reader, target: Attributes, index: number, field = 'attributes'): void {
  try {
    readKeyValue(reader, target, 0)
  } catch (error) {
    within(`${field}[${index}]`, error)
  }
}

/** resource.v1.Resource. */
export function readResource(reader: Reader): Resource {
  const outer = enter(reader)
  const attributes: Attributes = {}
  let index = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    if (tag === 10) readAttribute(reader, attributes, index++)
    else skipField(reader, tag)
  }
  leave(reader, outer)
  return { attributes }
}

/** common.v1.InstrumentationScope. */
export function readScope(reader: Reader): InstrumentationScope {
  const outer = enter(reader)
  const scope: InstrumentationScope = { name: '', version: '', attributes: {} }
  let index = 0
  while (reader.pos < reader.len) {
    const tag = reader.tag()
    switch (tag) {
      case 10: scope.name = readString(reader); break
      case 18: scope.version = readString(reader); break
      case 26: readAttribute(reader, scope.attributes, index++); break
      default: skipField(reader, tag)
    }
  }
  leave(reader, outer)
  return scope
}

export function emptyResource(): Resource {
  return { attributes: {} }
}

export function emptyScope(): InstrumentationScope {
  return { name: '', version: '', attributes: {} }
}
