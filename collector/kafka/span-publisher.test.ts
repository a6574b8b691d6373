import { describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { MemoryBus } from '../../core/bus/index.js'
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
