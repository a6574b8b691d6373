import { describe, expect, it } from 'vitest'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { EventPublisher } from '../publish/publisher.js'
import { Pipeline, type CorrelatorLike, type PipelineRecord } from './index.js'

interface Req {
  spans: Array<{ id: string; parent?: string; credential?: string; ts?: number; kind?: PrivpathEvent['kind'] }>
}
type Rec = PipelineRecord & { id: string; parent?: string }

/** Holds a record until its parent id has been seen; once `graceOver`, expire() releases everything held. */
class ParentWaits implements CorrelatorLike<Rec> {
  graceOver = false
  private readonly seen = new Set<string>()
  private waiting: Rec[] = []
  add(records: Rec[]): Rec[] {
    const out: Rec[] = []
    for (const r of records) {
      if (r.parent && !this.seen.has(r.parent)) this.waiting.push(r)
      else out.push(r)
      this.seen.add(r.id)
    }
    const ready = this.waiting.filter((r) => this.seen.has(r.parent!))
    this.waiting = this.waiting.filter((r) => !this.seen.has(r.parent!))
    return [...out, ...ready]
  }
  expire(): Rec[] {
    return this.graceOver ? this.waiting.splice(0) : []
  }
  held(): number {
    return this.waiting.length
  }
}

const event = (id: string, credential?: string, ts = 0, kind?: PrivpathEvent['kind']): PrivpathEvent => ({
  ...emptyEvent(),
  event_id: id,
  task_id: `task-${id}`,
  ts,
  kind: kind ?? (credential ? 'credential_issued' : 'tool_invocation'),
  credential_id: credential ?? '',
})

/**
 * `held`: subscribers wait at a gate the test opens with `release()`, so what the pipeline holds
 * stays held for as long as the test looks at it (no timing involved); `entered` resolves once a
 * subscriber is waiting there.
 */
function setup(options: { maxQueuedRequests?: number; maxQueuedBytes?: number; held?: boolean } = {}) {
  const { logger, registry } = silentTelemetry()
  let release!: () => void
  const gate = options.held ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()
  let arrived!: () => void
  const entered = new Promise<void>((resolve) => (arrived = resolve))
  const bus = new MemoryBus<CoreTopics>()
  const completed: number[] = []
  const delivered: Record<string, Array<{ key: string; id: string }>> = { events: [], credentials: [] }
  const correlator = new ParentWaits()
  const pipeline = new Pipeline<Req, Rec>({
    publisher: new EventPublisher({ bus, logger, registry }),
    logger,
    registry,
    wal: { complete: (lsn) => void completed.push(lsn) },
    maxQueuedRequests: options.maxQueuedRequests ?? 10,
    maxQueuedBytes: options.maxQueuedBytes,
    expireEveryMs: 20,
    stages: {
      decode: (_signal, body) => JSON.parse(Buffer.from(body).toString()) as Req,
      map: (_signal, request) =>
        request.spans.map((s) => ({ id: s.id, parent: s.parent, events: [event(s.id, s.credential, s.ts, s.kind)] })),
      correlator,
    },
  })
  const subscribe = async (topic: 'events' | 'credentials') =>
    bus.subscribe(topic, { group: 'test' }, async (messages) => {
      arrived()
      await gate
      delivered[topic].push(...messages.map((m) => ({ key: m.key, id: m.value.event_id })))
    })
  return { pipeline, bus, completed, delivered, registry, subscribe, correlator, release: () => release?.(), entered }
}

describe('pipeline', () => {
  it('publishes events keyed by task, credential events also keyed by credential, then completes the WAL record', async () => {
    const { pipeline, completed, delivered, subscribe } = setup()
    await subscribe('events')
    await subscribe('credentials')
    pipeline.reserve()
    pipeline.accept({ lsn: 7, signal: 'traces', authTenant: '', request: { spans: [{ id: 'a' }, { id: 'b', credential: 'cred-1' }] } })
    await pipeline.drain()
    expect(delivered.events).toEqual([{ key: 'task-a', id: 'a' }, { key: 'task-b', id: 'b' }])
    expect(delivered.credentials).toEqual([{ key: 'cred-1', id: 'b' }])
    expect(completed).toEqual([7])
    expect(pipeline.depth()).toBe(0)
  })

  it('publishes in event time, so a root released before its children still closes the task last', async () => {
    const { pipeline, delivered, subscribe } = setup()
    await subscribe('events')
    pipeline.reserve()
    pipeline.accept({
      lsn: 1,
      signal: 'traces',
      authTenant: '',
      request: {
        spans: [
          { id: 'end', ts: 30, kind: 'task_end' },
          { id: 'other', ts: 10, kind: 'other' },
          { id: 'start', ts: 10, kind: 'task_start' },
          { id: 'tool', ts: 20 },
        ],
      },
    })
    await pipeline.drain()
    expect(delivered.events.map((e) => e.id)).toEqual(['start', 'other', 'tool', 'end'])
  })

  it('completes a record only when its held spans are published too', async () => {
    const { pipeline, completed, delivered, subscribe } = setup()
    await subscribe('events')
    pipeline.reserve()
    pipeline.accept({ lsn: 1, signal: 'traces', authTenant: '', request: { spans: [{ id: 'child', parent: 'root' }, { id: 'x' }] } })
    await pipeline.drain()
    expect(completed).toEqual([])
    expect(delivered.events.map((e) => e.id)).toEqual(['x'])
    pipeline.reserve()
    pipeline.accept({ lsn: 2, signal: 'traces', authTenant: '', request: { spans: [{ id: 'root' }] } })
    await pipeline.drain()
    expect(delivered.events.map((e) => e.id)).toEqual(['x', 'root', 'child'])
    expect(completed.sort()).toEqual([1, 2])
  })

  it('places spans whose parent never comes once the correlator expires them', async () => {
    const { pipeline, completed, delivered, subscribe, correlator } = setup()
    await subscribe('events')
    pipeline.reserve()
    pipeline.accept({ lsn: 3, signal: 'traces', authTenant: '', request: { spans: [{ id: 'orphan', parent: 'never' }] } })
    await pipeline.drain()
    expect(completed).toEqual([])
    correlator.graceOver = true
    await expect.poll(() => completed, { timeout: 2000 }).toEqual([3])
    expect(delivered.events.map((e) => e.id)).toEqual(['orphan'])
    await pipeline.stop()
  })

  it('refuses beyond its bound with PP_ERR_QUEUE_FULL until published requests free their slots', async () => {
    const { pipeline, subscribe, registry, release } = setup({ maxQueuedRequests: 2, held: true })
    await subscribe('events')
    for (const lsn of [1, 2]) {
      pipeline.reserve()
      pipeline.accept({ lsn, signal: 'traces', authTenant: '', request: { spans: [{ id: `s${lsn}` }] } })
    }
    expect(() => pipeline.reserve()).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL', retryAfterSeconds: 1 }))
    expect(await registry.metrics()).toMatch(/privpath_collector_queue_depth 2/)
    release()
    await pipeline.drain()
    expect(() => pipeline.reserve()).not.toThrow()
  })

  it('bounds the body bytes it holds too, takes one oversized request when empty, and frees bytes as requests publish', async () => {
    const { pipeline, subscribe, registry, release } = setup({ maxQueuedBytes: 1_000, held: true })
    await subscribe('events')
    const accept = (lsn: number, bytes: number) => {
      pipeline.reserve(bytes)
      pipeline.accept({ lsn, signal: 'traces', authTenant: '', bytes, request: { spans: [{ id: `s${lsn}` }] } })
    }
    accept(1, 600)
    expect(() => pipeline.reserve(401)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL', retryAfterSeconds: 1 }))
    // Claimed from Content-Length, then resized once decompressed: growth must fit, shrinking always does.
    pipeline.reserve(100)
    expect(() => pipeline.resize(100, 401)).toThrow(/collector\.max_queued_bytes 1000/)
    pipeline.resize(100, 400)
    pipeline.accept({ lsn: 2, signal: 'traces', authTenant: '', bytes: 400, request: { spans: [{ id: 's2' }] } })
    expect(() => pipeline.reserve(1)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL' }))
    expect(await registry.metrics()).toMatch(/privpath_collector_queue_bytes 1000/)
    release()
    await pipeline.drain()
    expect(await registry.metrics()).toMatch(/privpath_collector_queue_bytes 0/)
    // Larger than the whole bound, yet nothing else waits: taken (also when it grows), so no request is refused forever.
    pipeline.reserve(3_000)
    pipeline.resize(3_000, 5_000)
    pipeline.accept({ lsn: 3, signal: 'traces', authTenant: '', bytes: 5_000, request: { spans: [{ id: 's3' }] } })
    expect(() => pipeline.reserve(1)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL' }))
    await pipeline.drain()
    // A request given back (not acknowledged) returns its bytes as well.
    pipeline.reserve(1_000)
    pipeline.release(1_000)
    expect(await registry.metrics()).toMatch(/privpath_collector_queue_bytes 0/)
    expect(() => pipeline.reserve(1_000)).not.toThrow()
  })

  it('counts replayed records by their body size until they are published', async () => {
    const { pipeline, subscribe, registry, release } = setup({ maxQueuedBytes: 10, held: true })
    await subscribe('events')
    const body = Buffer.from(JSON.stringify({ spans: [{ id: 'r' }] }))
    pipeline.replay({ lsn: 1, signal: 'traces', format: 'json', tenant: '', body })
    expect(await registry.metrics()).toMatch(new RegExp(`privpath_collector_queue_bytes ${body.length}`))
    expect(() => pipeline.reserve(1)).toThrow(expect.objectContaining({ code: 'PP_ERR_QUEUE_FULL' }))
    release()
    await pipeline.replayDone()
    await pipeline.drain()
    expect(await registry.metrics()).toMatch(/privpath_collector_queue_bytes 0/)
  })

  it('replays WAL records through decode and completes records without spans at once', async () => {
    const { pipeline, completed, delivered, subscribe } = setup()
    await subscribe('events')
    pipeline.replay({ lsn: 10, signal: 'traces', format: 'json', tenant: 'acme', body: Buffer.from(JSON.stringify({ spans: [{ id: 'r' }] })) })
    pipeline.replay({ lsn: 11, signal: 'traces', format: 'json', tenant: 'acme', body: Buffer.from(JSON.stringify({ spans: [] })) })
    pipeline.replay({ lsn: 12, signal: 'traces', format: 'json', tenant: 'acme', body: Buffer.from('not json') })
    await pipeline.replayDone()
    expect(delivered.events.map((e) => e.id)).toEqual(['r'])
    expect(completed.sort()).toEqual([10, 11, 12])
  })

  it('decodes a body when it takes it from the queue; one that does not decode or map is skipped, counted and its record completed', async () => {
    const { pipeline, completed, delivered, subscribe, registry } = setup()
    await subscribe('events')
    pipeline.reserve()
    pipeline.accept({ lsn: 20, signal: 'traces', authTenant: '', format: 'json', body: Buffer.from('not json') })
    pipeline.reserve()
    pipeline.accept({ lsn: 21, signal: 'traces', authTenant: '', format: 'json', body: Buffer.from(JSON.stringify({ spans: [{ id: 'b' }] })) })
    pipeline.reserve()
    pipeline.accept({ lsn: 22, signal: 'traces', authTenant: '', request: { spans: [{ id: 'c' }] } })
    pipeline.reserve()
    // No spans array: the test mapper throws, as a mapper bug would.
    pipeline.accept({ lsn: 23, signal: 'traces', authTenant: '', request: {} as Req })
    await pipeline.drain()
    expect(delivered.events.map((e) => e.id)).toEqual(['b', 'c'])
    expect(completed.sort()).toEqual([20, 21, 22, 23])
    expect(pipeline.depth()).toBe(0)
    const metrics = await registry.metrics()
    expect(metrics).toMatch(/privpath_collector_requests_skipped_total\{stage="decode"\} 1/)
    expect(metrics).toMatch(/privpath_collector_requests_skipped_total\{stage="map"\} 1/)
  })

  it('refuses new requests once stopping, after draining what it holds', async () => {
    const { pipeline, delivered, subscribe, release, entered } = setup({ held: true })
    await subscribe('events')
    pipeline.reserve()
    pipeline.accept({ lsn: 1, signal: 'traces', authTenant: '', request: { spans: [{ id: 'last' }] } })
    let stopped = false
    const stopping = pipeline.stop().then(() => void (stopped = true))
    expect(() => pipeline.reserve()).toThrow(expect.objectContaining({ code: 'PP_ERR_UNAVAILABLE' }))
    // The publish is under way and held: stop() must still be waiting for it.
    await entered
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(delivered.events.map((e) => e.id)).toEqual(['last'])
  })
})
