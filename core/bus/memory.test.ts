import { afterEach, describe, expect, it, vi } from 'vitest'
import { emptyEvent, type PrivpathEvent } from '../event.js'
import type { BusMessage, CoreTopics } from './bus.js'
import { MemoryBus } from './memory.js'

const messages = (...ids: string[]): Array<BusMessage<PrivpathEvent>> =>
  ids.map((id) => ({ key: 't1', value: { ...emptyEvent(), event_id: id } }))
const ids = (batch: Array<BusMessage<PrivpathEvent>>) => batch.map((m) => m.value.event_id)

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void
  const promise = new Promise<void>((resolve) => (fire = resolve))
  return { promise, fire }
}

/**
 * One turn of the event loop. The in-process bus moves on promises alone (no timer unless a
 * handler failed), so by then it has taken every step it can without the handler a test holds.
 */
const settled = () => new Promise((resolve) => setImmediate(resolve))

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('MemoryBus', () => {
  it('resolves publish only after every group handled the messages, in publish order', async () => {
    const bus = new MemoryBus<CoreTopics>()
    const seen: Record<string, string[]> = { writer: [], detector: [] }
    const detectorGate = signal()
    const writerHandled = signal()
    await bus.subscribe('events', { group: 'writer' }, async (batch) => {
      seen.writer.push(...ids(batch))
      writerHandled.fire()
    })
    await bus.subscribe('events', { group: 'detector' }, async (batch) => {
      await detectorGate.promise
      seen.detector.push(...ids(batch))
    })
    let published = false
    const publishing = bus.publish('events', messages('a', 'b')).then(() => (published = true))
    await writerHandled.promise
    expect(seen.writer).toEqual(['a', 'b'])
    await settled()
    expect(published).toBe(false)
    detectorGate.fire()
    await publishing
    expect(seen.detector).toEqual(['a', 'b'])
    await bus.close()
  })

  it('hands a failed batch over again until it succeeds, waiting as its retry policy says', async () => {
    vi.useFakeTimers()
    // every wait is its policy's ceiling
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const failures: string[] = []
    const bus = new MemoryBus<CoreTopics>({ retry: { baseMs: 1_000, maxMs: 1_500 }, onHandlerError: (error) => void failures.push((error as Error).message) })
    const attempts: string[][] = []
    await bus.subscribe('events', { group: 'writer' }, async (batch) => {
      attempts.push(ids(batch))
      if (attempts.length < 3) throw new Error(`insert ${attempts.length} failed`)
    })
    let published = false
    const publishing = bus.publish('events', messages('a')).then(() => (published = true))
    await vi.advanceTimersByTimeAsync(999)
    expect(attempts).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(attempts).toHaveLength(2)
    // the second wait doubles, up to maxMs
    await vi.advanceTimersByTimeAsync(1_499)
    expect(attempts).toHaveLength(2)
    expect(published).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await publishing
    expect(attempts).toEqual([['a'], ['a'], ['a']])
    expect(failures).toEqual(['insert 1 failed', 'insert 2 failed'])
    await bus.close()
  })

  it('stops retrying a failing batch once closed, its publish left unresolved', async () => {
    vi.useFakeTimers()
    vi.spyOn(Math, 'random').mockReturnValue(1)
    let failures = 0
    const bus = new MemoryBus<CoreTopics>({ retry: { baseMs: 1_000, maxMs: 1_000 }, onHandlerError: () => void failures++ })
    let calls = 0
    await bus.subscribe('events', { group: 'writer' }, async () => {
      calls++
      throw new Error('store down')
    })
    let published = false
    void bus.publish('events', messages('a')).then(() => (published = true))
    await vi.advanceTimersByTimeAsync(2_000)
    expect(calls).toBe(3)
    // Resolves without the clock moving: closing ends the pending wait.
    await bus.close()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toBe(3)
    expect(failures).toBe(3)
    expect(published).toBe(false)
  })

  it('waits for room instead of growing past maxQueue, handing over what it holds meanwhile', async () => {
    const bus = new MemoryBus<CoreTopics>({ maxQueue: 2 })
    const gate = signal()
    const handling = signal()
    const depths: number[] = []
    const handled: string[] = []
    await bus.subscribe('events', { group: 'slow', maxBatch: 1 }, async (batch) => {
      depths.push(bus.depths()['events/slow'])
      handling.fire()
      await gate.promise
      handled.push(...ids(batch))
    })
    const publishing = bus.publish('events', messages('a', 'b', 'c', 'd'))
    // A publish larger than the free room must not keep the idle group from starting.
    await handling.promise
    gate.fire()
    await publishing
    expect(handled).toEqual(['a', 'b', 'c', 'd'])
    expect(Math.max(...depths)).toBeLessThanOrEqual(2)
    await bus.close()
  })

  it('keeps one batch in flight by default and up to maxInflightBatches when asked', async () => {
    for (const [maxInflightBatches, expected] of [
      [undefined, 1],
      [3, 3],
    ] as const) {
      const bus = new MemoryBus<CoreTopics>()
      let inFlight = 0
      let most = 0
      const order: string[] = []
      // Every batch stays in flight until as many as expected are: a bus allowing fewer never
      // opens the gate, one allowing more shows it in `most`.
      const full = signal()
      await bus.subscribe('events', { group: 'g', maxBatch: 1, maxInflightBatches }, async (batch) => {
        most = Math.max(most, ++inFlight)
        if (inFlight === expected) full.fire()
        await full.promise
        order.push(...ids(batch))
        inFlight--
      })
      await Promise.all([bus.publish('events', messages('a')), bus.publish('events', messages('b')), bus.publish('events', messages('c'))])
      expect(most).toBe(expected)
      if (expected === 1) expect(order).toEqual(['a', 'b', 'c'])
      await bus.close()
    }
  })
})
