import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { Readable } from 'node:stream'
import { gzipSync, deflateSync, createGzip } from 'node:zlib'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../core/auth.js'
import { PrivpathError } from '../../core/errors.js'
import type { WalEntry } from '../wal/index.js'
import type { IncomingMessage } from 'node:http'
import { decodeContentEncoding, readRawBody } from './body.js'
import { otlpReceiver, type AcceptedExport, type IngestSink, type OtlpCodec } from './receiver.js'

interface FakeRequest {
  spans: Array<{ ok: boolean }>
}

// Stands in for the otlp module: JSON `{spans:[{ok}]}`; "protobuf" is the same JSON behind a 0x0a byte.
// As the real codec does, it hands back the decoded request for JSON and only the counts for protobuf.
const codec: OtlpCodec<FakeRequest> = {
  check(_signal, body, format) {
    const text = Buffer.from(format === 'protobuf' ? body.subarray(1) : body).toString()
    let request: FakeRequest
    try {
      request = JSON.parse(text) as FakeRequest
    } catch {
      throw new PrivpathError('PP_ERR_DECODE', 'resourceSpans[0].scopeSpans: unexpected end of input')
    }
    const bad = request.spans.filter((s) => !s.ok).length
    const counts = { received: request.spans.length, rejected: bad, rejectReasons: bad ? ['span 0: empty trace_id'] : [] }
    return format === 'json' ? { ...counts, request } : counts
  },
  encodeExportResponse: (_signal, format, partial) =>
    format === 'json' ? JSON.stringify(partial ? { partialSuccess: partial } : {}) : Buffer.from(partial ? `PS:${partial.rejected}:${partial.errorMessage}` : ''),
  encodeStatus: (format, status) => (format === 'json' ? JSON.stringify(status) : Buffer.from(`STATUS:${status.code}:${status.message}`)),
}

function fakeSink(capacity = 10) {
  const accepted: Array<AcceptedExport<FakeRequest>> = []
  const appended: WalEntry[] = []
  let used = 0
  const sink: IngestSink<FakeRequest> & {
    accepted: typeof accepted
    appended: typeof appended
    failAppend: boolean
    /** Every claim change in order: ['reserve', n], ['resize', from, to], ['release', n]. */
    claims: Array<[string, ...number[]]>
    /** Bytes held now; a claim beyond `room` is refused. */
    held: number
    room: number
    /** The sizes of refused resizes. */
    refused: number[]
  } = {
    accepted,
    appended,
    failAppend: false,
    claims: [],
    held: 0,
    room: Number.POSITIVE_INFINITY,
    refused: [],
    reserve(bytes) {
      if (used >= capacity) throw new PrivpathError('PP_ERR_QUEUE_FULL', 'collector queue is full', { retryAfterSeconds: 2 })
      if (sink.held + bytes > sink.room) throw new PrivpathError('PP_ERR_QUEUE_FULL', 'collector queue is full', { retryAfterSeconds: 3 })
      sink.claims.push(['reserve', bytes])
      sink.held += bytes
      used++
    },
    resize(from, to) {
      if (sink.held - from + to > sink.room) {
        sink.refused.push(to)
        throw new PrivpathError('PP_ERR_QUEUE_FULL', 'collector queue is full', { retryAfterSeconds: 3 })
      }
      sink.claims.push(['resize', from, to])
      sink.held += to - from
    },
    release(bytes) {
      sink.claims.push(['release', bytes])
      sink.held -= bytes
      used--
    },
    async append(entry) {
      if (sink.failAppend) throw new Error('EIO: disk gone')
      appended.push(entry)
      return appended.length
    },
    accept: (item) => void accepted.push(item),
  }
  return sink
}

function postGzipJson(app: Awaited<ReturnType<typeof server>>['app'], compressed: Buffer) {
  return app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: compressed })
}

async function server(options: { keys?: string[]; capacity?: number; maxBodyBytes?: number } = {}) {
  const sink = fakeSink(options.capacity)
  const registry = new Registry()
  const app = Fastify()
  await app.register(
    otlpReceiver({
      codec,
      sink,
      registry,
      auth: createAuthenticator({ tenant_keys: options.keys ?? [], tenant_keys_file: '' }),
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    }),
  )
  return { app, sink, registry }
}

const json = (spans: Array<{ ok: boolean }>) => JSON.stringify({ spans })
const proto = (spans: Array<{ ok: boolean }>) => Buffer.concat([Buffer.from([0x0a]), Buffer.from(json(spans))])

describe('OTLP/HTTP receiver', () => {
  it('accepts protobuf and JSON (with charset), answers in the request content type, and hands over the body or the request the check decoded', async () => {
    const { app, sink } = await server()
    const a = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: proto([{ ok: true }]) })
    expect(a.statusCode).toBe(200)
    expect(a.headers['content-type']).toBe('application/x-protobuf')
    const b = await app.inject({ method: 'POST', url: '/v1/logs', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: json([{ ok: true }]) })
    expect(b.statusCode).toBe(200)
    expect(b.headers['content-type']).toMatch(/^application\/json/)
    expect(b.json()).toEqual({})
    expect(sink.appended.map((e) => [e.signal, e.format])).toEqual([['traces', 'protobuf'], ['logs', 'json']])
    expect(sink.accepted.map((a) => a.lsn)).toEqual([1, 2])
    expect(sink.accepted[0]).toMatchObject({ signal: 'traces', format: 'protobuf', body: proto([{ ok: true }]) })
    expect(sink.accepted[0]).not.toHaveProperty('request')
    expect(sink.accepted[1]).toMatchObject({ signal: 'logs', request: { spans: [{ ok: true }] } })
    expect(sink.accepted[1]).not.toHaveProperty('body')
  })

  it('inflates gzip and deflate bodies and logs the decompressed body', async () => {
    const { app, sink } = await server()
    for (const [encoding, payload] of [['gzip', gzipSync(json([{ ok: true }]))], ['deflate', deflateSync(json([{ ok: true }]))]] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, payload })
      expect(res.statusCode, encoding).toBe(200)
    }
    expect(sink.appended.map((e) => Buffer.from(e.body).toString())).toEqual([json([{ ok: true }]), json([{ ok: true }])])
  })

  it('stops a gzip bomb at the limit while inflating (413), and a broken gzip stream is a 400', async () => {
    const { app, sink } = await server({ maxBodyBytes: 1024 * 1024 })
    const gzip = createGzip()
    const parts: Buffer[] = []
    gzip.on('data', (c: Buffer) => parts.push(c))
    const zeros = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < 256; i++) gzip.write(zeros)
    await new Promise((resolve) => gzip.end(resolve))
    const bomb = Buffer.concat(parts)
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: bomb })
    expect(res.statusCode).toBe(413)
    expect(res.json().message).toMatch(/PP_ERR_BODY_TOO_LARGE.*after decompression/)
    const broken = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: Buffer.from('not gzip at all') })
    expect(broken.statusCode).toBe(400)
    expect(broken.json().message).toMatch(/PP_ERR_BAD_ENCODING/)
    expect(sink.appended).toHaveLength(0)
  })

  it('answers 413 for an uncompressed body over the limit', async () => {
    const { app } = await server({ maxBodyBytes: 2048 })
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(4096) })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 3 })
  })

  it('answers 415 for other content types and encodings, naming what was sent', async () => {
    const { app } = await server()
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    expect(res.statusCode).toBe(415)
    expect(res.json().message).toMatch(/text\/plain/)
    const enc = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, payload: 'x' })
    expect(enc.statusCode).toBe(415)
    expect(enc.json().message).toMatch(/Content-Encoding "br"/)
  })

  it('answers 400 with a google.rpc.Status naming the problem, in the request encoding', async () => {
    const { app, sink } = await server()
    const j = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: '{"spans":' })
    expect(j.statusCode).toBe(400)
    expect(j.json()).toEqual({ code: 3, message: 'PP_ERR_DECODE: resourceSpans[0].scopeSpans: unexpected end of input' })
    const p = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from([0x0a, 0x7b]) })
    expect(p.statusCode).toBe(400)
    expect(p.headers['content-type']).toBe('application/x-protobuf')
    expect(p.body).toMatch(/^STATUS:3:PP_ERR_DECODE: resourceSpans/)
    expect(sink.appended).toHaveLength(0)
  })

  it('reports rejected spans as partial success and counts them', async () => {
    const { app, registry } = await server()
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: json([{ ok: true }, { ok: false }]) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ partialSuccess: { rejected: 1, errorMessage: 'span 0: empty trace_id' } })
    const text = await registry.metrics()
    expect(text).toMatch(/privpath_collector_items_rejected_total\{signal="traces"\} 1/)
    expect(text).toMatch(/privpath_collector_items_received_total\{signal="traces"\} 2/)
    expect(text).toMatch(/privpath_collector_requests_total\{signal="traces",status="200"\} 1/)
  })

  it('answers 429 with Retry-After when the queue is full, and never acknowledges what it did not keep', async () => {
    const { app, sink } = await server({ capacity: 1 })
    const send = () => app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: json([{ ok: true }]) })
    expect((await send()).statusCode).toBe(200)
    const full = await send()
    expect(full.statusCode).toBe(429)
    expect(full.headers['retry-after']).toBe('2')
    expect(full.json()).toMatchObject({ code: 8 })
    expect(sink.appended).toHaveLength(1)
  })

  it('claims the declared size before reading, refusing with 429 and closing the connection when it does not fit', async () => {
    const { app, sink } = await server()
    sink.room = 10
    const payload = json([{ ok: true }])
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload })
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('3')
    expect(res.headers.connection).toBe('close')
    expect(sink.claims).toEqual([])
    expect(sink.appended).toHaveLength(0)
  })

  it('answers 413, not 429, for a declared body over the limit even when the queue is full', async () => {
    const { app, sink } = await server({ maxBodyBytes: 2048 })
    sink.room = 0
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(4096) })
    expect(res.statusCode).toBe(413)
  })

  it('resizes the claim to the body after decompression and hands that size on', async () => {
    const { app, sink } = await server()
    const payload = json([{ ok: true }, { ok: true }])
    const compressed = gzipSync(payload)
    const res = await postGzipJson(app, compressed)
    expect(res.statusCode).toBe(200)
    const size = Buffer.byteLength(payload)
    expect(sink.claims).toEqual([['reserve', compressed.length], ['resize', compressed.length, size]])
    expect(sink.accepted[0].bytes).toBe(size)
  })

  it('gives the claim back when the body does not decode, or decompresses beyond the room left', async () => {
    const { app, sink } = await server()
    const bad = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: '{not json' })
    expect(bad.statusCode).toBe(400)
    expect(sink.claims).toEqual([['reserve', 9], ['release', 9]])
    sink.claims = []
    const payload = json(Array.from({ length: 200 }, () => ({ ok: true })))
    const compressed = gzipSync(payload)
    expect(compressed.length).toBeLessThan(Buffer.byteLength(payload))
    sink.room = compressed.length
    const res = await postGzipJson(app, compressed)
    expect(res.statusCode).toBe(429)
    expect(res.headers.connection).not.toBe('close')
    expect(sink.claims).toEqual([['reserve', compressed.length], ['release', compressed.length]])
    expect(sink.held).toBe(0)
  })

  it('claims the bytes of a body without Content-Length as they arrive, and refuses when they pass the room', async () => {
    const { app, sink } = await server()
    const chunks = [json([{ ok: true }]).slice(0, 10), json([{ ok: true }]).slice(10)]
    const send = () =>
      app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: Readable.from(chunks.map((c) => Buffer.from(c))) })
    const ok = await send()
    expect(ok.statusCode).toBe(200)
    const size = Buffer.byteLength(chunks.join(''))
    expect(sink.claims[0]).toEqual(['reserve', 0])
    expect(sink.claims.at(-1)).toEqual(['resize', size, size])
    expect(sink.accepted[0].bytes).toBe(size)
    sink.claims = []
    sink.room = sink.held + 5
    const refused = await send()
    expect(refused.statusCode).toBe(429)
    expect(refused.headers.connection).toBe('close')
    expect(sink.claims).toEqual([['reserve', 0], ['release', 0]])
  })

  it('refuses a compressed body while inflating, at the first output chunk past the room', async () => {
    const { app, sink } = await server({ maxBodyBytes: 1024 * 1024 })
    const payload = json(Array.from({ length: 20_000 }, () => ({ ok: true })))
    const compressed = gzipSync(payload)
    sink.room = compressed.length
    const res = await postGzipJson(app, compressed)
    expect(res.statusCode).toBe(429)
    expect(sink.refused).toHaveLength(1)
    expect(sink.refused[0]).toBeLessThan(Buffer.byteLength(payload) / 2)
    expect(sink.held).toBe(0)
  })

  it('inflates in chunks, reporting the output so far, and stops as soon as the progress callback refuses', async () => {
    const inflated = Buffer.alloc(1024 * 1024, 'a')
    const seen: number[] = []
    const full = await decodeContentEncoding(gzipSync(inflated), 'gzip', 2 * 1024 * 1024, (bytes) => void seen.push(bytes))
    expect(full.equals(inflated)).toBe(true)
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.at(-1)).toBe(inflated.length)
    const calls: number[] = []
    const refusing = decodeContentEncoding(gzipSync(inflated), 'gzip', 2 * 1024 * 1024, (bytes) => {
      calls.push(bytes)
      if (bytes > 100_000) throw new PrivpathError('PP_ERR_QUEUE_FULL', 'no room')
    })
    await expect(refusing).rejects.toMatchObject({ code: 'PP_ERR_QUEUE_FULL' })
    expect(Math.max(...calls)).toBeLessThan(inflated.length)
  })

  it('reads a body that arrives in many chunks whole, with or without a Content-Length, reporting the bytes after each', async () => {
    const body = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251))
    const chunks = Array.from({ length: 13 }, (_, i) => body.subarray(i * 4_000, (i + 1) * 4_000))
    const message = (declared: number | undefined, parts: Buffer[]) =>
      Object.assign(Readable.from(parts), { headers: declared === undefined ? {} : { 'content-length': String(declared) } }) as unknown as IncomingMessage
    for (const declared of [undefined, body.length]) {
      const seen: number[] = []
      const read = await readRawBody(message(declared, chunks), 1 << 20, (bytes) => void seen.push(bytes))
      expect(read.equals(body)).toBe(true)
      expect(seen).toEqual(chunks.map((_, i) => Math.min(body.length, (i + 1) * 4_000)))
    }
    // Framing is the HTTP parser's job: a Content-Length that disagrees with the bytes loses or invents none.
    expect((await readRawBody(message(30_001, chunks), 1 << 20)).equals(body)).toBe(true)
    expect((await readRawBody(message(body.length + 10, chunks), 1 << 20)).equals(body)).toBe(true)
    await expect(readRawBody(message(undefined, chunks), 40_000)).rejects.toMatchObject({ code: 'PP_ERR_BODY_TOO_LARGE' })
  })

  it('gives the claim back once when the client goes away in the middle of the body', async () => {
    const { app, sink } = await server()
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const { port } = app.server.address() as AddressInfo
      const socket = connect(port, '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.write('POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n' + 'x'.repeat(500))
      await expect.poll(() => sink.claims).toEqual([['reserve', 1000]])
      socket.destroy()
      await expect.poll(() => sink.claims).toEqual([['reserve', 1000], ['release', 1000]])
      expect(sink.held).toBe(0)
    } finally {
      await app.close()
    }
  })

  it('answers 503 with Retry-After when the request cannot be made durable, and gives the slot back', async () => {
    const { app, sink } = await server({ capacity: 1 })
    sink.failAppend = true
    const payload = json([{ ok: true }])
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    const size = Buffer.byteLength(payload)
    expect(sink.claims).toEqual([['reserve', size], ['resize', size, size], ['release', size]])
    sink.failAppend = false
    const again = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: json([{ ok: true }]) })
    expect(again.statusCode).toBe(200)
  })

  it('requires a tenant key when keys are configured and stamps the tenant from it', async () => {
    const { app, sink } = await server({ keys: ['acme:k-acme', 'globex:k-globex'] })
    const send = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', ...headers }, payload: json([{ ok: true }]) })
    const none = await send({})
    expect(none.statusCode).toBe(401)
    expect(none.json()).toMatchObject({ code: 16, message: expect.stringMatching(/PP_ERR_UNAUTHORIZED/) })
    expect((await send({ authorization: 'Bearer wrong' })).statusCode).toBe(401)
    expect((await send({ authorization: 'Bearer k-globex' })).statusCode).toBe(200)
    expect(sink.accepted[0].authTenant).toBe('globex')
    expect(sink.appended[0].tenant).toBe('globex')
  })
})
