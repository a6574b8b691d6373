/**
 * One write-ahead-log record on disk:
 *   u32 payload length | u32 crc32(lsn bytes + payload) | u64 lsn | payload
 * payload = u8 signal | u8 format | u16 tenant length | tenant (utf8) | request body.
 * The CRC covers the LSN so a record copied into the wrong place is also caught.
 */
import { crc32 } from 'node:zlib'

/** The OTLP signals a request carries. */
export type Signal = 'traces' | 'logs'
/** What a record holds: an OTLP request, or an OPA decision-log upload as collector/opa keeps it. */
export type RecordSignal = Signal | 'opa'
export type BodyFormat = 'protobuf' | 'json'

export interface WalEntry {
  signal: RecordSignal
  format: BodyFormat
  /** Tenant stamped from the caller's key; '' when ingest is unauthenticated. */
  tenant: string
  body: Uint8Array
}

export interface WalRecord extends WalEntry {
  lsn: number
}

const HEADER_BYTES = 16
const SIGNALS: readonly RecordSignal[] = ['traces', 'logs', 'opa']
const FORMATS: readonly BodyFormat[] = ['protobuf', 'json']

/**
 * The record as two buffers to write one after the other: everything up to the body, then the
 * body itself, which is written from where it is rather than copied.
 */
export function encodeRecordParts(lsn: number, entry: WalEntry): [Buffer, Uint8Array] {
  const tenant = Buffer.from(entry.tenant, 'utf8')
  const prefixLength = 4 + tenant.length
  const head = Buffer.allocUnsafe(HEADER_BYTES + prefixLength)
  head.writeUInt32LE(prefixLength + entry.body.length, 0)
  head.writeBigUInt64LE(BigInt(lsn), 8)
  let at = HEADER_BYTES
  head[at++] = SIGNALS.indexOf(entry.signal)
  head[at++] = FORMATS.indexOf(entry.format)
  head.writeUInt16LE(tenant.length, at)
  at += 2
  tenant.copy(head, at)
  const crc = crc32(entry.body, crc32(head.subarray(HEADER_BYTES), crc32(head.subarray(8, 16))))
  head.writeUInt32LE(crc, 4)
  return [head, entry.body]
}

export function encodeRecord(lsn: number, entry: WalEntry): Buffer {
  return Buffer.concat(encodeRecordParts(lsn, entry))
}

export type DecodeResult =
  | { ok: true; record: WalRecord; next: number }
  | { ok: false; reason: 'truncated' | 'checksum' | 'malformed' }

/** Decodes the record starting at `offset`; the record's body is a view into `data`. */
export function decodeRecord(data: Buffer, offset: number): DecodeResult {
  if (offset + HEADER_BYTES > data.length) return { ok: false, reason: 'truncated' }
  const length = data.readUInt32LE(offset)
  const end = offset + HEADER_BYTES + length
  if (end > data.length) return { ok: false, reason: 'truncated' }
  const payload = data.subarray(offset + HEADER_BYTES, end)
  if (crc32(payload, crc32(data.subarray(offset + 8, offset + 16))) !== data.readUInt32LE(offset + 4)) {
    return { ok: false, reason: 'checksum' }
  }
  if (length < 4) return { ok: false, reason: 'malformed' }
  const signal = SIGNALS[payload[0]]
  const format = FORMATS[payload[1]]
  const tenantLength = payload.readUInt16LE(2)
  if (signal === undefined || format === undefined || 4 + tenantLength > length) return { ok: false, reason: 'malformed' }
  return {
    ok: true,
    next: end,
    record: {
      lsn: Number(data.readBigUInt64LE(offset + 8)),
      signal,
      format,
      tenant: payload.toString('utf8', 4, 4 + tenantLength),
      body: payload.subarray(4 + tenantLength),
    },
  }
}
