import { describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { type BusMessage, MemoryBus } from '../../core/bus/index.js'
import { validateConfig } from '../../core/config/load.js'
import { opaDecision } from '../../testkit/opa.js'
import type { SpanRecordValue } from '../mapping/index.js'
import { encodeBatch, type OpaBatch } from '../opa/batch.js'
import { readUpload } from '../opa/decisions.js'
import { createPipelineStages } from '../stages.js'
import { SpanPublisher } from './span-publisher.js'
import type { SpanTopics } from './topics.js'

const decode = () => ({ resourceSpans: [] })

describe('SpanPublisher bounds', () => {
  function publisher(maxInflightBytes: number) {
    return new SpanPublisher({ bus: new MemoryBus<SpanTopics>(), decode, map: () => [], maxInflightRequests: 10, maxInflightBytes, registry: new Registry() })
  }

  it('refuses bodies beyond maxInflightBytes while others wait for Kafka, and frees their bytes once accepted or released', () => {
    const p = publisher(100)
    p.reserve(80)
    expect(() => p.reserve(21)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL', retryAfterSeconds: 1 }))
    p.reserve(10)
    // Read and decompressed: 10 declared bytes became 20, which still fits; 21 would not.
    expect(() => p.resize(10, 21)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL' }))
    p.resize(10, 20)
    p.accept({ bytes: 80 })
    p.reserve(80)
    p.release(80)
    p.release(20)
    expect(p.depth()).toBe(0)
    expect(() => p.reserve(100)).not.toThrow()
  })

  it('takes one request larger than the bound when nothing is in flight', () => {
    const p = publisher(100)
    p.reserve(5_000)
    expect(() => p.reserve(1)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL' }))
  })
})

describe('SpanPublisher append', () => {
  it('maps the request the receiver decoded, or decodes the body when the receiver only checked it', async () => {
    const decoded = { resourceSpans: [] }
    const fromBody = { resourceLogs: [] }
    const bodies: Uint8Array[] = []
    const mapped: unknown[] = []
    const p = new SpanPublisher({
      bus: new MemoryBus<SpanTopics>(),
      decode: (_signal, body) => {
        bodies.push(body)
        return fromBody
      },
      map: (_signal, request) => {
        mapped.push(request)
        return []
      },
      maxInflightRequests: 10,
      registry: new Registry(),
    })
    const body = Buffer.from('raw')
    await p.append({ signal: 'traces', tenant: '', body, format: 'json' }, decoded)
    await p.append({ signal: 'logs', tenant: '', body, format: 'protobuf' }, undefined)
    expect(bodies).toEqual([body])
    expect(mapped[0]).toBe(decoded)
    expect(mapped[1]).toBe(fromBody)
  })
})

describe('SpanPublisher and OPA uploads', () => {
  it("publishes an upload's decisions on spans keyed by the trace they name (the trace's correlate member places them)", async () => {
    const bus = new MemoryBus<SpanTopics>()
    const published: Array<BusMessage<SpanRecordValue>> = []
    await bus.subscribe('spans', { group: 'test' }, async (messages) => {
      published.push(...messages)
    })
    const stages = createPipelineStages(validateConfig({}), new Registry())
    const p = new SpanPublisher({ bus, decode: stages.decode, map: stages.map, maxInflightRequests: 10, registry: new Registry() })
    const [{ decision }] = readUpload(Buffer.from(JSON.stringify([opaDecision()])))
    const batch: OpaBatch = { opa_decisions: [{ ...decision, verdict: 'deny', join: null }] }
    // as the WAL would hold it: replayed from the body alone
    await p.append({ signal: 'opa', tenant: 'acme', body: encodeBatch(batch), format: 'json' }, undefined)
    expect(published).toHaveLength(1)
    expect(published[0].key).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(published[0].value).toMatchObject({ signal: 'log', authTenant: 'acme', spanId: '00f067aa0ba902b7' })
    expect(published[0].value.events[0]).toMatchObject({ kind: 'authz_decision', authz_result: 'deny', tenant_id: 'acme' })
  })
})
