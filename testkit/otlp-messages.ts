import { Writer } from 'protobufjs/minimal.js'

/*
 * Hand-built protobuf messages for the decoder tests: each helper returns one encoded field, and
 * `message` concatenates fields, so a test spells out exactly which bytes the decoder sees.
 */

export type Field = Uint8Array

export function message(...fields: Field[]): Uint8Array {
  return Buffer.concat(fields)
}

export function embedded(field: number, ...fields: Field[]): Field {
  return Writer.create().uint32((field << 3) | 2).bytes(message(...fields)).finish()
}

export function bytesField(field: number, bytes: Uint8Array): Field {
  return Writer.create().uint32((field << 3) | 2).bytes(bytes).finish()
}

export function stringField(field: number, value: string): Field {
  return Writer.create().uint32((field << 3) | 2).string(value).finish()
}

/** A varint field; a bigint is written as its 64-bit two's complement. */
export function varintField(field: number, value: number | bigint): Field {
  const bits = BigInt.asUintN(64, BigInt(value))
  const bytes: number[] = []
  let rest = bits
  do {
    const low = Number(rest & 0x7fn)
    rest >>= 7n
    bytes.push(rest === 0n ? low : low | 0x80)
  } while (rest !== 0n)
  return message(Writer.create().uint32(field << 3).finish(), Uint8Array.from(bytes))
}

export function fixed64Field(field: number, value: bigint): Field {
  const out = Buffer.alloc(8)
  out.writeBigUInt64LE(BigInt.asUintN(64, value))
  return message(Writer.create().uint32((field << 3) | 1).finish(), out)
}

export function fixed32Field(field: number, value: number): Field {
  const out = Buffer.alloc(4)
  out.writeUInt32LE(value >>> 0)
  return message(Writer.create().uint32((field << 3) | 5).finish(), out)
}

export function doubleField(field: number, value: number): Field {
  return Writer.create().uint32((field << 3) | 1).double(value).finish()
}

/** A group (wire types 3/4), which proto3 no longer uses but a decoder must still skip. */
export function groupField(field: number, ...fields: Field[]): Field {
  return message(
    Writer.create().uint32((field << 3) | 3).finish(),
    ...fields,
    Writer.create().uint32((field << 3) | 4).finish(),
  )
}

export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

export const TRACE_ID = '5b8efff798038103d269b633813fc60c'
export const SPAN_ID = 'eee19b7ec3c1b174'
export const PARENT_ID = 'eee19b7ec3c1b173'

/** common.v1.KeyValue with a string value. */
export function stringAttribute(field: number, key: string, value: string): Field {
  return embedded(field, stringField(1, key), embedded(2, stringField(1, value)))
}

/** A span (trace.v1.Span) with valid ids unless overridden, wrapped up to a full request. */
export function spanFields(overrides: { traceId?: Uint8Array; spanId?: Uint8Array } = {}, ...extra: Field[]): Field[] {
  return [
    bytesField(1, overrides.traceId ?? hexBytes(TRACE_ID)),
    bytesField(2, overrides.spanId ?? hexBytes(SPAN_ID)),
    stringField(5, 'execute_tool'),
    ...extra,
  ]
}

export function traceRequest(...spans: Field[][]): Uint8Array {
  return message(
    embedded(
      1,
      embedded(1, stringAttribute(1, 'tenant.id', 'tenant-a')),
      embedded(2, embedded(1, stringField(1, 'scope')), ...spans.map((fields) => embedded(2, ...fields))),
    ),
  )
}
