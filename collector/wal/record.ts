/**
 * One write-ahead-log record on disk:
 *   u32 payload length | u32 crc32(lsn bytes + payload) | u64 lsn | payload
 * payload = u8 signal | u8 format | u16 tenant length | tenant (utf8) | request body.
 * The CRC covers the LSN so a record copied into the wrong place is also caught.
 */
import { crc32 } from 'node:zlib'

export type Signal = 'traces' | 'logs'
export type BodyFormat = 'protobuf' | 'json'

export interface WalEntry {
  signal: Signal
  format: BodyFormat
  /** Tenant stamped from the caller's key; '' when ingest is unauthenticated. */
  tenant: string
  body: Uint8Array
}

export interface WalRecord extends WalEntry {
  lsn: number
}

export const HEADER_BYTES = 16
const SIGNALS: readonly Signal[] = ['traces', 'logs']
const FORMATS: readonly BodyFormat[] = ['protobuf', 'json']

export function encodeRecord(lsn: number, entry: WalEntry): Buffer {
  const tenant = Buffer.from(entry.tenant, 'utf8')
  const payloadLength = 4 + tenant.length + entry.body.length
  const out = Buffer.allocUnsafe(HEADER_BYTES + payloadLength)
  out.writeUInt32LE(payloadLength, 0)
  out.writeBigUInt64LE(BigInt(lsn), 8)
  let at = HEADER_BYTES
  out[at++] = SIGNALS.indexOf(entry.signal)
  out[at++] = FORMATS.indexOf(entry.format)
  out.writeUInt16LE(tenant.length, at)
  at += 2
  tenant.copy(out, at)
  at += tenant.length
  out.set(entry.body, at)
  out.writeUInt32LE(crc32(out.subarray(HEADER_BYTES), crc32(out.subarray(8, 16))), 4)
  return out
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
