/**
 * OTLP/gRPC under pressure and under attack, at a real app: a full queue answers
 * RESOURCE_EXHAUSTED with RetryInfo and never drops a request it answered OK; any bytes at all,
 * random or a valid request mutated, get a gRPC status and leave the server serving.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentTaskRequests } from '../testkit/fixtures/agent-tasks.js'
import { protobufRequest, recordSpans, runScriptedTask } from '../testkit/agent.js'
import { stalledConsumer, startTestApp, type TestApp } from '../testkit/app.js'
import { rawGrpcClient, type RawGrpcClient } from '../testkit/grpc.js'

let full: TestApp
let fuzzed: TestApp
beforeAll(async () => {
  full = await startTestApp({ roles: ['collector'], collector: { max_queued_requests: 3 } }, { ephemeralGrpcPort: true })
  fuzzed = await startTestApp({ roles: ['collector'], server: { max_body_bytes: 64 * 1024 } }, { ephemeralGrpcPort: true })
})
afterAll(async () => {
  await full?.app.stop()
  await fuzzed?.app.stop()
})

const taskBody = (taskId: string) => protobufRequest(recordSpans((tracer) => runScriptedTask(tracer, { taskId, tenant: 'acme' })))

describe('queue full over gRPC', () => {
  it('answers RESOURCE_EXHAUSTED with a RetryInfo delay beyond the bound, and publishes every request answered OK', async () => {
    const { seen, release } = await stalledConsumer(full)
    const client = rawGrpcClient(full.app.grpcPort!, 'traces')
    try {
      const sent = Array.from({ length: 12 }, (_, i) => `task-grpc-bp-${i}`)
      const answers = await Promise.all(sent.map(async (taskId) => ({ taskId, ...(await client.export(taskBody(taskId))) })))
      const accepted = answers.filter((a) => a.code === 0)
      const refused = answers.filter((a) => a.code === 8)
      expect(accepted.length + refused.length).toBe(sent.length)
      expect(accepted.length).toBeGreaterThanOrEqual(1)
      expect(accepted.length).toBeLessThanOrEqual(3)
      expect(refused.length).toBeGreaterThanOrEqual(1)
      for (const r of refused) {
        expect(r.details).toMatch(/^PP_ERR_QUEUE_FULL: collector queue is full/)
        expect(r.retryDelaySeconds).toBeGreaterThan(0)
      }

      release()
      await full.app.drain()
      for (const a of accepted) expect(seen.has(a.taskId), a.taskId).toBe(true)
      for (const r of refused) expect(seen.has(r.taskId), r.taskId).toBe(false)
    } finally {
      client.close()
    }
  })
})

/** A valid request with some of its bytes changed, cut, or spliced: the decoder's paths through nearly valid input. */
const valid = agentTaskRequests({ tasks: 3, spansPerRequest: 20, tenants: 1, seed: 3 }).bodies
const mutated = fc
  .tuple(
    fc.constantFrom(...valid),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.option(fc.nat()),
    fc.uint8Array({ maxLength: 16 }),
  )
  .map(([body, flips, cut, splice]) => {
    const bytes = Uint8Array.from(body)
    for (const [at, value] of flips) bytes[at % bytes.length] = value
    const kept = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1))
    return Uint8Array.from([...kept, ...splice])
  })
const anyBody = fc.oneof(fc.uint8Array({ maxLength: 2048 }), mutated)

describe('any message over gRPC', () => {
  it('gets OK or INVALID_ARGUMENT (RESOURCE_EXHAUSTED past the size limit), and the server keeps serving', async () => {
    const clients: Record<string, RawGrpcClient> = {
      traces: rawGrpcClient(fuzzed.app.grpcPort!, 'traces'),
      logs: rawGrpcClient(fuzzed.app.grpcPort!, 'logs'),
      'traces+gzip': rawGrpcClient(fuzzed.app.grpcPort!, 'traces', { gzip: true }),
      'logs+gzip': rawGrpcClient(fuzzed.app.grpcPort!, 'logs', { gzip: true }),
    }
    const codes = new Map<number, number>()
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(clients)), anyBody, async (service, body) => {
          const answer = await clients[service].export(body)
          codes.set(answer.code, (codes.get(answer.code) ?? 0) + 1)
          if (answer.code === 3) expect(answer.details).toMatch(/^PP_ERR_DECODE: Export(Trace|Logs)ServiceRequest/)
          else expect(answer.code, answer.details).toBe(0)
        }),
        { numRuns: 400 },
      )
      // Both outcomes were reached: the property did not hold only because every input failed alike.
      expect([...codes.keys()].sort()).toEqual([0, 3])
      expect((await clients.traces.export(taskBody('task-after-fuzz'))).code).toBe(0)
      expect((await clients.traces.export(new Uint8Array(64 * 1024 + 1))).code).toBe(8)
      expect(fuzzed.app.readiness().ready).toBe(true)
    } finally {
      for (const client of Object.values(clients)) client.close()
    }
  })
})
