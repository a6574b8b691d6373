import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentTaskRequests } from '../../testkit/fixtures/agent-tasks.js'
import { gauges, round, startNullSink } from './server.js'

const EXPOSITION = [
  '# HELP privpath_collector_queue_depth Requests being received or accepted',
  '# TYPE privpath_collector_queue_depth gauge',
  'privpath_collector_queue_depth 3',
  'privpath_collector_queue_depth_bytes 99',
  'privpath_collector_held_spans 0',
].join('\n')

describe('bench:ingest drain gauges', () => {
  let server: Server
  let origin = ''
  let reads = 0
  beforeAll(async () => {
    server = createServer((_request, response) => {
      reads++
      response.end(EXPOSITION)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('reads every named gauge from one /metrics response, by exact name', async () => {
    reads = 0
    await expect(gauges(origin, ['privpath_collector_queue_depth', 'privpath_collector_held_spans'])).resolves.toEqual({
      privpath_collector_queue_depth: 3,
      privpath_collector_held_spans: 0,
    })
    expect(reads).toBe(1)
  })

  it('names a gauge the server does not expose', async () => {
    await expect(gauges(origin, ['privpath_collector_queue'])).rejects.toThrow('metric privpath_collector_queue missing')
  })
})

describe('bench:ingest null sink', () => {
  it('answers every request 200 once it has read the body, and counts a round as processed when answered', async () => {
    const sink = await startNullSink(fileURLToPath(new URL('../..', import.meta.url)), 2)
    try {
      const { bodies, spanCount } = agentTaskRequests({ tasks: 6, spansPerRequest: 15, seed: 1 })
      const result = await round(sink, bodies, spanCount, 2)
      expect(result.latencies).toHaveLength(bodies.length)
      expect(result.retries).toBe(0)
      expect(result.processed).toBeGreaterThan(0)
      expect(result.processed).toBeLessThanOrEqual(result.accepted)
    } finally {
      await sink.close()
    }
    await expect(fetch(sink.origin)).rejects.toThrow()
  })
})
