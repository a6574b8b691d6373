import { describe, expect, it } from 'vitest'
import { emptyEvent } from '../event.js'
import type { BusMessage } from './bus.js'
import { MemoryBus } from './memory.js'

const messages = (...ids: string[]): Array<BusMessage<'events'>> =>
  ids.map((id) => ({ key: 't1', value: { ...emptyEvent(), event_id: id } }))
const ids = (batch: Array<BusMessage<'events'>>) => batch.map((m) => m.value.event_id)
const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void
  const promise = new Promise<void>((resolve) => (fire = resolve))
  return { promise, fire }
}

describe('MemoryBus', () => {
  it('resolves publish only after every group handled the messages, in publish order', async () => {
    const bus = new MemoryBus()
    const seen: Record<string, string[]> = { writer: [], detector: [] }
    let releaseDetector!: () => void
    const detectorGate = new Promise<void>((resolve) => (releaseDetector = resolve))
    await bus.subscribe('events', { group: 'writer' }, async (batch) => void seen.writer.push(...ids(batch)))
    await bus.subscribe('events', { group: 'detector' }, async (batch) => {
      await detectorGate
      seen.detector.push(...ids(batch))
    })
    let published = false
    const publishing = bus.publish('events', messages('a', 'b')).then(() => (published = true))
    await tick()
    expect(seen.writer).toEqual(['a', 'b'])
    expect(published).toBe(false)
    releaseDetector()
    await publishing
    expect(seen.detector).toEqual(['a', 'b'])
    await bus.close()
  })

  it('hands a failed batch over again until it succeeds', async () => {
    const bus = new MemoryBus({ retryDelayMs: 1 })
    const attempts: string[][] = []
    await bus.subscribe('events', { group: 'writer' }, async (batch) => {
      attempts.push(ids(batch))
      if (attempts.length < 3) throw new Error('insert failed')
    })
    await bus.publish('events', messages('a'))
    expect(attempts).toEqual([['a'], ['a'], ['a']])
    await bus.close()
  })

  it('waits for room instead of growing past maxQueue, handing over what it holds meanwhile', async () => {
    const bus = new MemoryBus({ maxQueue: 2 })
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
      const bus = new MemoryBus()
      let inFlight = 0
      let most = 0
      const order: string[] = []
      await bus.subscribe('events', { group: 'g', maxBatch: 1, maxInflightBatches }, async (batch) => {
        most = Math.max(most, ++inFlight)
        await tick()
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
