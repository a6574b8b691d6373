/**
 * A body over the limit, over real TCP: the client keeps sending while the server refuses, and
 * must still read the whole 413, never a reset in its place (an exporter that sees a reset retries
 * the whole body).
 */
import { connect, type AddressInfo, type Socket } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../core/auth.js'
import { otlpReceiver, type IngestSink, type OtlpCodec } from './receiver.js'

const LIMIT = 64 * 1024
const CHUNK = Buffer.alloc(16 * 1024, 'x')

// A refused body never reaches the codec or the queue beyond its claim.
const codec: OtlpCodec<never> = {
  check: () => {
    throw new Error('a refused body must not be checked')
  },
  encodeExportResponse: () => '{}',
  encodeStatus: (_format, status) => JSON.stringify(status),
}
const sink: IngestSink<never> = {
  reserve: () => undefined,
  resize: () => undefined,
  release: () => undefined,
  append: () => Promise.reject(new Error('a refused body must not be appended')),
  accept: () => undefined,
}

let app: FastifyInstance | undefined

afterEach(async () => {
  await app?.close()
  app = undefined
})

async function listen(drain: { maxMs?: number; maxBytes?: number } = {}): Promise<{ port: number; next: () => Promise<void> }> {
  app = Fastify()
  const next = answers(app)
  await app.register(
    otlpReceiver({ codec, sink, registry: new Registry(), auth: createAuthenticator({ tenant_keys: [], tenant_keys_file: '' }), maxBodyBytes: LIMIT, drain }),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as AddressInfo).port, next }
}

interface Response {
  status: number
  headers: Record<string, string>
  body: string
  /** Bytes of the response after its end (a second response on a kept connection). */
  rest: Buffer
}

/** A complete HTTP/1.1 response with a Content-Length at the start of `data`, or undefined while incomplete. */
function parseResponse(data: Buffer): Response | undefined {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim()
  const length = Number(headers['content-length'])
  if (data.length < end + 4 + length) return undefined
  return { status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString(), rest: data.subarray(end + 4 + length) }
}

/**
 * Sends the head, then body chunks, reading nothing until the server has sent its answer (its
 * onResponse hook ran) and `afterAnswer` more chunks went out, each handed to the kernel before the
 * next: a server that closes with the body unread has reset the connection by then. Then reads,
 * still sending, until a complete response arrived; fails with whatever the socket reported
 * instead (EPIPE, ECONNRESET, a close).
 */
function sendUntilAnswered(port: number, head: string, answered: Promise<void>, afterAnswer = 16): Promise<{ socket: Socket; response: Response }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.pause()
    const received: Buffer[] = []
    let sent = 0
    let done = false
    let reading = false
    const fail = (what: string) => {
      if (done) return
      done = true
      reject(new Error(`${what} before a complete response (${Buffer.concat(received).length} bytes read, ${sent} body bytes sent)`))
    }
    socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message))
    socket.on('end', () => fail('end of stream'))
    socket.on('close', () => fail('close'))
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk)
      const response = parseResponse(Buffer.concat(received))
      if (response === undefined || done) return
      done = true
      resolve({ socket, response })
    })
    const write = () => new Promise<void>((written) => void socket.write(CHUNK, () => written())).then(() => void (sent += CHUNK.length))
    const sendMore = (): void => {
      while (!done && !socket.destroyed && sent + CHUNK.length <= DECLARED) {
        sent += CHUNK.length
        if (!socket.write(CHUNK)) return void socket.once('drain', sendMore)
        if (reading) return void setImmediate(sendMore)
      }
    }
    socket.once('connect', () => {
      socket.write(head)
      sendMore()
    })
    void answered.then(async () => {
      for (let i = 0; i < afterAnswer && !done; i++) await write()
      reading = true
      socket.resume()
    })
  })
}

/** The first `count` responses on a connection, as they arrive. */
function responses(socket: Socket, count: number): Promise<Response[]> {
  const received: Buffer[] = []
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('close', () => reject(new Error(`connection closed before ${count} responses`)))
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk)
      const parsed: Response[] = []
      let rest: Buffer = Buffer.concat(received)
      for (let response = parseResponse(rest); response !== undefined && parsed.length < count; response = parseResponse(rest)) {
        parsed.push(response)
        rest = response.rest
      }
      if (parsed.length === count) resolve(parsed)
    })
  })
}

const closed = (socket: Socket) => new Promise<void>((resolve) => void socket.once('close', () => resolve()))

/** Resolves each time the server has sent a 413. */
function answers(server: FastifyInstance): () => Promise<void> {
  let next: () => void = () => undefined
  server.addHook('onResponse', async (_request, reply) => {
    if (reply.statusCode === 413) next()
  })
  return () => new Promise<void>((resolve) => (next = resolve))
}

const head = (framing: string) => `POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`
/** More than the client ever sends: bytes past the body would be parsed as the next request. */
const DECLARED = 1024 * 1024 * 1024
// One chunk of chunked framing as large as the Content-Length: the raw bytes that follow are its data.
const HEADS = {
  'Content-Length over the limit': head(`content-length: ${DECLARED}`),
  'chunked, passing the limit while read': head('transfer-encoding: chunked') + `${DECLARED.toString(16)}\r\n`,
}

describe('a body over server.max_body_bytes, sent by a client that keeps sending', () => {
  for (const [how, request] of Object.entries(HEADS)) {
    it(`is answered by a complete, readable 413 every time (${how})`, async () => {
      const { port, next } = await listen()
      for (let attempt = 0; attempt < 5; attempt++) {
        const { socket, response } = await sendUntilAnswered(port, request, next())
        expect(response.status, `attempt ${attempt}`).toBe(413)
        expect(JSON.parse(response.body)).toMatchObject({ code: 3, message: expect.stringMatching(/^PP_ERR_BODY_TOO_LARGE: .*server\.max_body_bytes/) })
        socket.destroy()
      }
    })
  }

  it('keeps the connection for the next request once the client sent the whole refused body', async () => {
    const { port, next } = await listen()
    const whole = 2 * LIMIT
    const socket = connect(port, '127.0.0.1')
    const two = responses(socket, 2)
    const answered = next()
    socket.write(head(`content-length: ${whole}`))
    for (let sent = 0; sent < whole; sent += CHUNK.length) socket.write(CHUNK)
    await answered
    socket.write('GET /v1/nothing-here HTTP/1.1\r\nhost: x\r\n\r\n')
    const [first, second] = await two
    expect(first.status).toBe(413)
    expect(first.headers.connection).not.toBe('close')
    expect(second.status).toBe(404)
    socket.destroy()
  })

  const REFUSED_AFTER = LIMIT + CHUNK.length

  /** Sends the head and the body up to just past the limit (REFUSED_AFTER bytes), and reads the 413 it gets. */
  async function refused(port: number): Promise<Socket> {
    const socket = connect(port, '127.0.0.1')
    const answer = responses(socket, 1)
    socket.write(HEADS['Content-Length over the limit'])
    socket.write(Buffer.alloc(REFUSED_AFTER, 'x'))
    expect((await answer)[0].status).toBe(413)
    socket.on('error', () => undefined)
    return socket
  }

  it('stops draining past its byte bound: a client that never stops sending is disconnected', { timeout: 10_000 }, async () => {
    const { port } = await listen({ maxBytes: 1024 * 1024 })
    const socket = await refused(port)
    let sent = REFUSED_AFTER
    const more = (): void => {
      while (!socket.destroyed && sent < DECLARED) {
        sent += CHUNK.length
        if (!socket.write(CHUNK)) return void socket.once('drain', more)
      }
    }
    more()
    await closed(socket)
    expect(sent).toBeLessThan(DECLARED)
  })

  it('stops draining past its time bound: a client that stalls in the body is disconnected', { timeout: 10_000 }, async () => {
    const { port } = await listen({ maxMs: 50 })
    await closed(await refused(port))
  })
})
