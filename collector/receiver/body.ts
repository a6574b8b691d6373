/**
 * Reading an OTLP/HTTP body: the media type it claims, the bytes (bounded before and after
 * decompression), nothing else.
 */
import type { IncomingMessage } from 'node:http'
import { createGunzip, createInflate, createInflateRaw } from 'node:zlib'
import { PrivpathError } from '../../core/errors.js'
import type { BodyFormat } from '../wal/index.js'

/** Output chunk of inflation: each one is checked against the limits as it is produced. */
const INFLATE_CHUNK_BYTES = 64 * 1024

const MEDIA_TYPES: Record<string, BodyFormat> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
}

export const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
}

/** The body format a Content-Type names (parameters such as charset allowed), or undefined. */
export function formatOf(contentType: string | undefined): BodyFormat | undefined {
  if (!contentType) return undefined
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase()
  return MEDIA_TYPES[mediaType]
}

export function requireFormat(contentType: string | undefined): BodyFormat {
  const format = formatOf(contentType)
  if (format === undefined) {
    throw new PrivpathError(
      'PP_ERR_UNSUPPORTED_MEDIA_TYPE',
      `unsupported Content-Type ${contentType ? `"${contentType}"` : '(none)'}: send application/x-protobuf or application/json`,
    )
  }
  return format
}

const tooLarge = (limit: number, when: string) =>
  new PrivpathError('PP_ERR_BODY_TOO_LARGE', `request body exceeds server.max_body_bytes (${limit} bytes) ${when}`)

/** The Content-Length a request declares (0 when none), refused with 413 when it is over `limit`. */
export function declaredLength(raw: IncomingMessage, limit: number): number {
  const declared = Number(raw.headers['content-length'])
  if (!Number.isFinite(declared) || declared < 0) return 0
  if (declared > limit) throw tooLarge(limit, '(Content-Length)')
  return declared
}

/**
 * Reads the raw body, refusing as soon as it passes `limit`. `onProgress` sees the bytes read so
 * far after each chunk and may throw to stop reading (a queue with no room for them).
 */
export async function readRawBody(raw: IncomingMessage, limit: number, onProgress?: (bytes: number) => void): Promise<Buffer> {
  declaredLength(raw, limit)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of raw as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw tooLarge(limit, 'while reading')
    onProgress?.(size)
    chunks.push(chunk)
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)
}

/**
 * Inflates a gzip or deflate body as a stream, stopping once the output passes `limit`, so a
 * decompression bomb costs at most `limit` bytes of memory. `onProgress` sees the output so far
 * after each chunk and may throw to stop (a queue with no room for it).
 */
export async function decodeContentEncoding(
  body: Buffer,
  encoding: string | undefined,
  limit: number,
  onProgress?: (bytes: number) => void,
): Promise<Buffer> {
  const name = (encoding ?? '').trim().toLowerCase()
  if (name === '' || name === 'identity') return body
  const inflater =
    name === 'gzip' || name === 'x-gzip'
      ? createGunzip
      : name === 'deflate'
        ? (body[0] & 0x0f) === 8 && ((body[0] << 8) | body[1]) % 31 === 0
          ? createInflate
          : createInflateRaw
        : undefined
  if (inflater === undefined) {
    throw new PrivpathError('PP_ERR_UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Encoding "${encoding}": send gzip, deflate or identity`)
  }
  const stream = inflater({ chunkSize: INFLATE_CHUNK_BYTES })
  const chunks: Buffer[] = []
  let size = 0
  try {
    stream.end(body)
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > limit) throw tooLarge(limit, 'after decompression')
      onProgress?.(size)
      chunks.push(chunk)
    }
  } catch (error) {
    if (error instanceof PrivpathError) throw error
    throw new PrivpathError('PP_ERR_BAD_ENCODING', `body is not valid ${name}: ${(error as Error).message}`, { cause: error })
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)
}
