import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { PrivpathError } from './errors.js'
import { httpErrors } from './http-errors.js'

async function serverThrowing(error: unknown, encode?: Parameters<typeof httpErrors>[1]['encode'], drainsRefusedBodies?: boolean) {
  const lines: string[] = []
  // the pino logger's richer type is not FastifyInstance's default logger type
  const app = Fastify({ loggerInstance: pino(new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })) }) as unknown as FastifyInstance
  httpErrors(app, { what: 'test request', encode, drainsRefusedBodies })
  app.get('/', async () => {
    throw error
  })
  return { response: await app.inject('/'), lines }
}

describe('the HTTP error reply', () => {
  it('answers a retryable error with its status, code and Retry-After', async () => {
    const full = await serverThrowing(new PrivpathError('PP_ERR_QUEUE_FULL', 'queue full', { retryAfterSeconds: 3 }))
    expect(full.response.statusCode).toBe(429)
    expect(full.response.headers['retry-after']).toBe('3')
    expect(full.response.json()).toEqual({ code: 'PP_ERR_QUEUE_FULL', message: 'queue full' })
    const down = await serverThrowing(new PrivpathError('PP_ERR_UNAVAILABLE', 'store down'))
    expect(down.response.statusCode).toBe(503)
    expect(down.response.headers['retry-after']).toBe('1')
  })

  it('sends no Retry-After for errors retrying cannot fix, and closes the connection on 413 unless the boundary drains the body', async () => {
    const bad = await serverThrowing(new PrivpathError('PP_ERR_BAD_REQUEST', 'limit: must be ≥ 1'))
    expect(bad.response.statusCode).toBe(400)
    expect(bad.response.headers['retry-after']).toBeUndefined()
    const large = await serverThrowing(new PrivpathError('PP_ERR_BODY_TOO_LARGE', 'body over 1 MiB'))
    expect(large.response.statusCode).toBe(413)
    expect(large.response.headers.connection).toBe('close')
    const drained = await serverThrowing(new PrivpathError('PP_ERR_BODY_TOO_LARGE', 'body over 1 MiB'), undefined, true)
    expect(drained.response.statusCode).toBe(413)
    expect(drained.response.headers.connection).not.toBe('close')
  })

  it('hides the details of an unexpected error from the client and logs them', async () => {
    const { response, lines } = await serverThrowing(new Error('secret connection string in here'))
    expect(response.statusCode).toBe(500)
    expect(response.body).not.toContain('secret')
    expect(response.json()).toEqual({ code: 'PP_ERR_INTERNAL', message: 'internal error' })
    expect(lines.some((line) => line.includes('test request failed') && line.includes('secret connection string'))).toBe(true)
  })

  it('lets a boundary encode its own body', async () => {
    const { response } = await serverThrowing(new PrivpathError('PP_ERR_DECODE', 'spans[0].traceId: not 16 bytes'), (_request, classified) => ({
      contentType: 'text/plain',
      payload: `${classified.grpcCode} ${classified.code}`,
    }))
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toMatch(/text\/plain/)
    expect(response.body).toBe('3 PP_ERR_DECODE')
  })
})
