/**
 * Backpressure at the real server: when consumers stall, the collector's bounded queue fills and
 * OTLP answers 429 with Retry-After; every request that got a 200 is published once they resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { postOtlp, stalledConsumer, startTestApp, type TestApp } from '../testkit/app.js'

let t: TestApp
let bytesBound: TestApp
beforeAll(async () => {
  t = await startTestApp({ roles: ['collector'], collector: { max_queued_requests: 3 } })
  // Room for one of these requests and a half: the second one waiting is refused.
  const bound = Math.max(1024, Math.floor(taskBody('task-bytes-0').length * 1.5))
  bytesBound = await startTestApp({ roles: ['collector'], server: { max_body_bytes: bound }, collector: { max_queued_bytes: bound } })
})
afterAll(async () => {
  await t?.app.stop()
  await bytesBound?.app.stop()
})

const taskBody = (taskId: string) => protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId, tenant: 'acme' })))

describe('queue full', () => {
  it('answers 429 + Retry-After beyond the bound and never drops an acknowledged request', async () => {
    const { seen, release } = await stalledConsumer(t)

    const sent = Array.from({ length: 12 }, (_, i) => `task-bp-${i}`)
    const answers = await Promise.all(
      sent.map(async (taskId) => {
        const body = taskBody(taskId)
        const res = await postOtlp(`${t.app.url}/v1/traces`, body)
        return { taskId, status: res.status, retryAfter: res.headers.get('retry-after') }
      }),
    )
    const accepted = answers.filter((a) => a.status === 200)
    const refused = answers.filter((a) => a.status === 429)
    expect(accepted.length + refused.length).toBe(sent.length)
    expect(accepted.length).toBeGreaterThanOrEqual(1)
    expect(accepted.length).toBeLessThanOrEqual(3)
    expect(refused.length).toBeGreaterThanOrEqual(1)
    for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThan(0)

    release()
    await t.app.drain()
    for (const a of accepted) expect(seen.has(a.taskId), a.taskId).toBe(true)
    for (const r of refused) expect(seen.has(r.taskId), r.taskId).toBe(false)
  })
})

describe('queue full by bytes', () => {
  it('holds the bodies of waiting requests within max_queued_bytes, refusing the rest with 429 until they are published', async () => {
    const { seen, release } = await stalledConsumer(bytesBound)
    const post = async (taskId: string) => {
      const res = await postOtlp(`${bytesBound.app.url}/v1/traces`, taskBody(taskId))
      return { taskId, status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() }
    }
    const first = await post('task-bytes-0')
    expect(first.status).toBe(200)
    const later = await Promise.all([1, 2, 3].map((i) => post(`task-bytes-${i}`)))
    for (const r of later) {
      expect(r.status).toBe(429)
      expect(Number(r.retryAfter)).toBeGreaterThan(0)
      expect(r.text).toMatch(/max_queued_bytes/)
    }
    const metrics = await (await fetch(`${bytesBound.app.url}/metrics`)).text()
    expect(Number(/privpath_collector_queue_bytes (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0)

    release()
    await bytesBound.app.drain()
    expect(seen.has('task-bytes-0')).toBe(true)
    expect((await post('task-bytes-4')).status).toBe(200)
  })
})
