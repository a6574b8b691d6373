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
 * far after each chunk and may throw to stop reading (a queue with no room for them). A refused
 * body is left paused, not destroyed: destroying a request destroys its socket, and with it the
 * answer not yet written. The caller drains the rest (drainRefusedBody) or closes the connection.
 */
export function readRawBody(raw: IncomingMessage, limit: number, onProgress?: (bytes: number) => void): Promise<Buffer> {
  declaredLength(raw, limit)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const settle = (error: unknown): void => {
      raw.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose)
      if (error !== undefined) return reject(error)
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      try {
        if (size > limit) throw tooLarge(limit, 'while reading')
        onProgress?.(size)
      } catch (error) {
        raw.pause()
        return settle(error)
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => settle(undefined)
    const onClose = (): void => settle(new Error('the client closed the connection before the end of the body'))
    raw.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose)
  })
}

/** How much of a refused body is read and thrown away before the connection is dropped instead. */
export interface DrainBounds {
  maxBytes: number
  maxMs: number
}

/**
 * Reads and discards the rest of a body refused before its end (413), so the client, which may
 * still be sending, can read the answer. Closing instead is what made clients see a reset: a
 * socket closed with unread input answers the client's next bytes with a TCP reset, and the
 * client's stack then drops the answer it had not read yet (RFC 9112 §9.6). Draining keeps the
 * connection usable for the next request once the body ended. Bounded: a client still sending
 * after `maxBytes` more, or `maxMs` after the refusal, has had the answer long enough, and its
 * connection is dropped.
 */
export function drainRefusedBody(raw: IncomingMessage, bounds: DrainBounds): void {
  if (raw.complete || raw.destroyed) return
  let drained = 0
  const stop = (): void => {
    clearTimeout(timer)
    raw.off('data', onData).off('end', stop).off('close', stop).off('error', stop)
  }
  const drop = (): void => {
    stop()
    raw.socket?.destroy()
  }
  const onData = (chunk: Buffer): void => {
    drained += chunk.length
    if (drained > bounds.maxBytes) drop()
  }
  const timer = setTimeout(drop, bounds.maxMs)
  timer.unref()
  raw.on('data', onData).on('end', stop).on('close', stop).on('error', stop)
  raw.resume()
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
