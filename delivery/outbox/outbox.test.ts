import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { validateConfig } from '../../core/config/load.js'
import { startDelivery } from '../service.js'
import { classifyAnswer, parseRetryAfter } from '../http.js'
import { alertKey, MemorySink } from '../sink.js'
import { type Answer, capturedTelemetry, makeAlert, repeatOf, startReceiver } from '../../testkit/delivery.js'
import { waitFor } from '../../testkit/wait.js'
import { DueQueue } from './due-queue.js'
import { fileName, newEntry } from './entry.js'
import { OutboxStore } from './store.js'
import { OutboxWorker } from './worker.js'
import { deliveryMetrics } from '../metrics.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

describe('due queue', () => {
  it('arms one unref’d timer for the earliest item', () => {
    // The queue takes `now` from its caller, so fake timers drive it without any real waiting.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const armed = vi.spyOn(globalThis, 'setTimeout')
      let fired = 0
      const queue = new DueQueue(() => fired++)
      queue.push({ at: 1_030, id: 'a' })
      queue.push({ at: 11_000, id: 'b' })
      queue.arm(1_000)
      queue.arm(1_000)
      expect(armed).toHaveBeenCalledTimes(1)
      expect((armed.mock.results[0].value as NodeJS.Timeout).hasRef()).toBe(false)
      vi.advanceTimersByTime(29)
      expect(fired).toBe(0)
      vi.advanceTimersByTime(1)
      expect(fired).toBe(1)
      // Re-arming for what is left is the caller's business (onDue); the queue keeps no timer of its own.
      expect(vi.getTimerCount()).toBe(0)
      queue.disarm()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('HTTP answers', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => classifyAnswer({ status, headers, body: '' }, 'r')

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it('retries 408, 429, 5xx; fails other 4xx permanently; honours Retry-After on 429 and 503', () => {
    expect(answer(204).status).toBe('delivered')
    for (const status of [408, 429, 500, 502, 503, 504]) expect(answer(status).status, String(status)).toBe('retry')
    for (const status of [400, 401, 403, 404, 410, 413, 422]) expect(answer(status).status, String(status)).toBe('permanent')
    expect(answer(429, { 'retry-after': '7' })).toMatchObject({ status: 'retry', retryAfterMs: 7_000 })
    expect(answer(503, { 'retry-after': '2' })).toMatchObject({ status: 'retry', retryAfterMs: 2_000 })
    expect(answer(500, { 'retry-after': '2' })).not.toHaveProperty('retryAfterMs')
  })
})

describe('outbox store', () => {
  it('moves unreadable files aside instead of losing or crashing on them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-outbox-'))
    const store = await OutboxStore.open(dir)
    await store.write('pending', newEntry('s', { kind: 'alert', alert: makeAlert() }, ['default'], 1))
    writeFileSync(join(dir, 'pending', 'torn.json'), '{"id":')
    const corrupt: string[] = []
    expect(await store.list('pending', corrupt)).toHaveLength(1)
    expect(corrupt).toEqual(['torn.json'])
    expect(readdirSync(join(dir, 'corrupt'))).toEqual(['torn.json'])
  })

  it('redelivers dead letters with a fresh budget unless a newer version is already pending', async () => {
    const store = await OutboxStore.open(mkdtempSync(join(tmpdir(), 'pp-outbox-')))
    const a = makeAlert()
    const b = makeAlert({ dedup_key: 'other' })
    await store.write('dead', { ...newEntry('s', { kind: 'alert', alert: a }, [], 1), attempts: 9, dead_at: 5, last_error: 'x' })
    await store.write('dead', { ...newEntry('s', { kind: 'alert', alert: b }, [], 1), attempts: 9, dead_at: 5 })
    await store.write('pending', newEntry('s', { kind: 'alert', alert: { ...b, count: 2, updated_at: b.updated_at + 1 } }, [], 1))
    const moved = await store.redeliver({}, 100)
    expect(moved.map((e) => [e.id, e.attempts, e.next_attempt_at])).toEqual([[a.alert_id, 0, 100]])
    expect(await store.list('dead')).toEqual([])
    expect((await store.read('pending', alertKey(b)))?.version).toBe(2)
  })
})

describe('isolation between sinks', () => {
  it('a dead (hanging) sink neither delays another sink nor the bus', async () => {
    // The hanging receiver never answers while the test runs: whatever completes meanwhile did not wait for it.
    const never = new Promise<Answer>(() => undefined)
    const hanging = await startReceiver(() => never)
    const healthy = await startReceiver()
    cleanup.push(() => hanging.close(), () => healthy.close())
    const config = validateConfig({
      alerts: {
        sinks: [
          { name: 'slow', type: 'webhook', url: `${hanging.url}/h`, timeout_ms: 20_000, concurrency: 1, backoff_base_ms: 10 },
          { name: 'fast', type: 'webhook', url: `${healthy.url}/h` },
        ],
      },
    })
    const bus = new MemoryBus<CoreTopics>()
    const delivery = startDelivery({ bus, config, dataDir: mkdtempSync(join(tmpdir(), 'pp-iso-')), telemetry: capturedTelemetry() })
    await delivery.ready
    cleanup.push(async () => {
      await delivery.stop()
      await bus.close()
    })
    const alerts = Array.from({ length: 20 }, (_, i) => makeAlert({ dedup_key: `k${i}` }))
    await bus.publish('alerts', alerts.map((value) => ({ key: value.alert_id, value })))
    await waitFor(() => healthy.received.length === 20, 10_000, 'healthy sink to receive everything')
    await waitFor(() => hanging.received.length === 1, 10_000, 'the slow sink’s first request')
    const slow = delivery.stats().sinks.find((s) => s.name === 'slow')!
    expect(slow).toMatchObject({ pending: 20, in_flight: 1 })
  })

  it('records version and attempts on disk for entries still pending', async () => {
    const down = await startReceiver(() => ({ status: 500 }))
    cleanup.push(() => down.close())
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-iso-'))
    const config = validateConfig({
      alerts: { sinks: [{ name: 'hook', type: 'webhook', url: `${down.url}/h`, backoff_base_ms: 5, backoff_max_ms: 5, max_attempts: 100 }] },
    })
    const bus = new MemoryBus<CoreTopics>()
    const delivery = startDelivery({ bus, config, dataDir, telemetry: capturedTelemetry() })
    await delivery.ready
    const alert = makeAlert({ count: 4 })
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    await waitFor(() => down.received.length >= 3, 5_000, 'a few attempts')
    await delivery.stop()
    await bus.close()
    const onDisk = JSON.parse(readFileSync(join(dataDir, 'outbox', 'hook', 'pending', fileName(alertKey(alert))), 'utf8'))
    expect(onDisk).toMatchObject({ id: alert.alert_id, version: 4, sink: 'hook' })
    expect(onDisk.attempts).toBeGreaterThanOrEqual(2)
    expect(onDisk.last_error).toMatch(/HTTP 500/)
  })
})

describe('live redelivery', () => {
  it('drops a dead letter superseded by a newer pending version instead of sending the old one', async () => {
    const sink = new MemorySink('team', [
      { status: 'permanent', error: 'HTTP 400' },
      { status: 'retry', error: 'HTTP 429', retryAfterMs: 60_000 },
    ])
    const bus = new MemoryBus<CoreTopics>()
    const delivery = startDelivery({ bus, config: validateConfig({}), dataDir: mkdtempSync(join(tmpdir(), 'pp-live-')), telemetry: capturedTelemetry(), sinks: [sink] })
    await delivery.ready
    cleanup.push(async () => {
      await delivery.stop()
      await bus.close()
    })
    const v1 = makeAlert()
    await bus.publish('alerts', [{ key: v1.alert_id, value: v1 }])
    await waitFor(() => delivery.stats().sinks[0].dead === 1, 5_000, 'dead letter')
    const v2 = repeatOf(v1)
    await bus.publish('alerts', [{ key: v1.alert_id, value: v2 }])
    await waitFor(() => sink.received.length === 2, 5_000, 'second attempt')
    expect(await delivery.redeliver({})).toEqual({ team: 0 })
    expect(delivery.stats().sinks[0]).toMatchObject({ dead: 0, pending: 1 })
    expect(delivery.pending()[0]).toMatchObject({ version: 2, attempts: 1 })
    expect(await delivery.deadLetters()).toEqual([])
  })
})

describe('scheduler at capacity', () => {
  it('does not spin timers while every slot is busy with a backlog waiting', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let sends = 0
    const sink = {
      name: 'slow',
      type: 'memory',
      async send() {
        sends++
        await gate
        return { status: 'delivered' as const }
      },
    }
    const bus = new MemoryBus<CoreTopics>()
    const delivery = startDelivery({ bus, config: validateConfig({}), dataDir: mkdtempSync(join(tmpdir(), 'pp-cap-')), telemetry: capturedTelemetry(), sinks: [sink] })
    await delivery.ready
    cleanup.push(async () => {
      release()
      await delivery.stop()
      await bus.close()
    })
    const alerts = Array.from({ length: 10 }, (_, i) => makeAlert({ dedup_key: `cap-${i}` }))
    // Fake timers: a minute passes at once, and a timer that re-arms itself shows up as calls (or as
    // fake-timers' infinite-loop error) instead of as load during a real wait.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const armed = vi.spyOn(globalThis, 'setTimeout')
      // Resolves once the batch is in the outbox; the worker has started its sends by then.
      await bus.publish('alerts', alerts.map((value) => ({ key: value.alert_id, value })))
      expect(sends).toBe(4)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(sends).toBe(4)
      expect(armed).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
    release()
    await waitFor(() => delivery.stats().sinks[0].counters.delivered === 10, 5_000, 'backlog')
  })
})

describe('outbox write failures', () => {
  it('rejects the enqueue (so the bus redelivers) and writes the entry when it comes again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-fail-'))
    const store = await OutboxStore.open(dir)
    const realWrite = store.write.bind(store)
    let failures = 1
    store.write = async (shelf, entry) => {
      if (failures-- > 0) throw new Error('ENOSPC: no space left on device')
      return realWrite(shelf, entry)
    }
    const telemetry = capturedTelemetry()
    const sink = new MemorySink('s', [{ status: 'retry', error: 'down', retryAfterMs: 60_000 }])
    const worker = new OutboxWorker({
      sink,
      store,
      logger: telemetry.logger,
      metrics: deliveryMetrics(telemetry.registry, () => ({})),
      publicUrl: '',
      concurrency: 1,
      maxAttempts: 5,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      scrub: (t) => t,
    })
    await worker.start()
    cleanup.push(() => worker.stop())
    const entry = () => newEntry('s', { kind: 'alert', alert: makeAlert() }, ['default'], Date.now())
    await expect(worker.enqueue([entry()])).rejects.toThrow(/ENOSPC/)
    await worker.enqueue([entry()])
    expect(await store.list('pending')).toHaveLength(1)
    expect(worker.counters.duplicates).toBe(0)
    await worker.enqueue([entry()])
    expect(worker.counters.duplicates).toBe(1)
  })
})
