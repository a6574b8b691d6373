/**
 * A request's claim on the ingest queue while its body is read, shared by every HTTP ingest route
 * (OTLP here, OPA decision logs in collector/opa): the slot and the declared size are claimed
 * before reading, the bytes read and inflated as they come, and a refused body is drained (413)
 * or left unread with the connection closed (429/503).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PrivpathError } from '../../core/errors.js'
import { declaredLength, decodeContentEncoding, type DrainBounds, drainRefusedBody, readRawBody } from './body.js'

/** What a claim needs of the sink: room in its bounded queue. */
export interface QueueRoom {
  /** Claims a slot and room for `bytes` of body, or throws PP_ERR_QUEUE_FULL / PP_ERR_UNAVAILABLE. */
  reserve(bytes: number): void
  /** Changes a claim of `from` bytes to `to`; throws PP_ERR_QUEUE_FULL (keeping `from`) when a larger one does not fit. */
  resize(from: number, to: number): void
  /** Gives back a slot and its `bytes` for a request that was not acknowledged. */
  release(bytes: number): void
}

/** A client gets this long after a 413 to read it and stop sending. */
const DEFAULT_DRAIN_MS = 10_000
/**
 * Bytes drained at least: what a client had in flight when it was refused can be tens of MiB
 * (Linux autotunes socket buffers that far), and cutting that off is the reset draining avoids.
 */
const DEFAULT_DRAIN_BYTES = 64 * 1024 * 1024

/** How much of a refused body is drained: DEFAULT_DRAIN_MS, and maxBodyBytes but at least DEFAULT_DRAIN_BYTES, unless given. */
export function drainBounds(maxBodyBytes: number, given?: Partial<DrainBounds>): DrainBounds {
  return {
    maxBytes: given?.maxBytes ?? Math.max(maxBodyBytes, DEFAULT_DRAIN_BYTES),
    maxMs: given?.maxMs ?? DEFAULT_DRAIN_MS,
  }
}

/** A request's claim on the sink's queue: its slot and the body bytes counted so far. */
export class QueueClaim {
  constructor(
    private readonly sink: QueueRoom,
    public bytes: number,
  ) {
    sink.reserve(bytes)
  }

  /** Claims up to `bytes` (never less than already claimed); throws when the queue has no room. */
  readonly grow = (bytes: number): void => {
    if (bytes > this.bytes) this.resize(bytes)
  }

  resize(bytes: number): void {
    this.sink.resize(this.bytes, bytes)
    this.bytes = bytes
  }

  release(): void {
    this.sink.release(this.bytes)
  }
}

export interface BodyLimits {
  maxBodyBytes: number
  drain: DrainBounds
}

/**
 * Claims the queue slot and the declared body size before the body is read, so bodies being
 * read count against the bounds too. A declared size over the limit is answered 413 and the
 * body drained (see drainRefusedBody). A queue refusal leaves the body unread and closes the
 * connection with the answer: a server short of room does not spend reading on bodies it
 * refused.
 */
export function claimBeforeReading(request: FastifyRequest, reply: FastifyReply, sink: QueueRoom, limits: BodyLimits): QueueClaim {
  let declared: number
  try {
    declared = declaredLength(request.raw, limits.maxBodyBytes)
  } catch (error) {
    drainRefusedBody(request.raw, limits.drain)
    throw error
  }
  try {
    return new QueueClaim(sink, declared)
  } catch (error) {
    reply.header('connection', 'close')
    throw error
  }
}

/**
 * The body, read and decompressed. `grow` claims the bytes read so far (a body without
 * Content-Length) and then the bytes inflated so far (a compressed one) as they come.
 */
export async function readClaimedBody(request: FastifyRequest, reply: FastifyReply, grow: (bytes: number) => void, limits: BodyLimits): Promise<Buffer> {
  let raw: Buffer
  try {
    raw = await readRawBody(request.raw, limits.maxBodyBytes, grow)
  } catch (error) {
    // Part of the body may be unread: drained after a 413, the connection closed after a 429 (as above).
    if (error instanceof PrivpathError && error.code === 'PP_ERR_BODY_TOO_LARGE') drainRefusedBody(request.raw, limits.drain)
    else reply.header('connection', 'close')
    throw error
  }
  return decodeContentEncoding(raw, request.headers['content-encoding'], limits.maxBodyBytes, grow)
}
