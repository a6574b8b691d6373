/**
 * Backpressure at the real server: when consumers stall, the collector's bounded queue fills and
 * OTLP answers 429 with Retry-After; every request that got a 200 is published once they resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { protobufRequest, recordSpans, runScriptedTask } from './support/agent.js'
import { postOtlp, startTestApp, type TestApp } from './support/app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ roles: ['collector'], collector: { max_queued_requests: 3 } })
})
afterAll(async () => {
  await t?.app.stop()
})

describe('queue full', () => {
  it('answers 429 + Retry-After beyond the bound and never drops an acknowledged request', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const seen = new Set<string>()
    await t.app.bus.subscribe('events', { group: 'slow-consumer' }, async (messages) => {
      await gate
      for (const m of messages) seen.add(m.value.task_id)
    })

    const sent = Array.from({ length: 12 }, (_, i) => `task-bp-${i}`)
    const answers = await Promise.all(
      sent.map(async (taskId) => {
        const body = protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId, tenant: 'acme' })))
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
    await t.app.collector!.pipeline.drain()
    for (const a of accepted) expect(seen.has(a.taskId), a.taskId).toBe(true)
    for (const r of refused) expect(seen.has(r.taskId), r.taskId).toBe(false)
  })
})
