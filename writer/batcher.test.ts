import { afterEach, describe, expect, it, vi } from 'vitest'
import { Batcher } from './batcher.js'

afterEach(() => {
  vi.useRealTimers()
})

function recording(maxRows: number, flushMs: number) {
  const flushed: number[][] = []
  const batcher = new Batcher<number>({
    maxRows,
    flushMs,
    flush: async (items) => {
      flushed.push(items)
    },
  })
  return { batcher, flushed }
}

describe('Batcher', () => {
  it('coalesces small adds into one flush once the size is reached', async () => {
    const { batcher, flushed } = recording(5, 60_000)
    const first = batcher.add([1, 2])
    const second = batcher.add([3, 4])
    expect(flushed).toEqual([])
    const third = batcher.add([5, 6])
    await Promise.all([first, second])
    expect(flushed).toEqual([[1, 2, 3, 4, 5]])
    // 6 is still waiting for its batch to fill, so the third add has not resolved yet.
    expect(batcher.buffered).toBe(1)
    await batcher.drain()
    await third
    expect(flushed).toEqual([[1, 2, 3, 4, 5], [6]])
  })

  it('resolves an add only when every row of it was flushed', async () => {
    vi.useFakeTimers()
    const { batcher, flushed } = recording(3, 1_000)
    let done = false
    const add = batcher.add([1, 2, 3, 4]).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(0)
    expect(flushed).toEqual([[1, 2, 3]])
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1_000)
    await add
    expect(flushed).toEqual([[1, 2, 3], [4]])
  })

  it('flushes a partial batch flushMs after its first row, not later rows', async () => {
    vi.useFakeTimers()
    const { batcher, flushed } = recording(100, 200)
    void batcher.add([1])
    await vi.advanceTimersByTimeAsync(150)
    void batcher.add([2])
    await vi.advanceTimersByTimeAsync(49)
    expect(flushed).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(flushed).toEqual([[1, 2]])
  })

  it('flushes every add at once when flushMs is 0 and after drain', async () => {
    const { batcher, flushed } = recording(100, 0)
    await batcher.add([1])
    expect(flushed).toEqual([[1]])
    const timed = recording(100, 60_000)
    const pending = timed.batcher.add([1, 2])
    await timed.batcher.drain()
    await pending
    await timed.batcher.add([3])
    expect(timed.flushed).toEqual([[1, 2], [3]])
  })

  it('rejects the adds of a failed flush and keeps flushing later batches', async () => {
    let fail = true
    const batcher = new Batcher<number>({
      maxRows: 2,
      flushMs: 0,
      flush: async () => {
        if (fail) throw new Error('boom')
      },
    })
    await expect(batcher.add([1, 2])).rejects.toThrow('boom')
    fail = false
    await expect(batcher.add([3])).resolves.toBeUndefined()
  })

  it('runs flushes one at a time, in order', async () => {
    const order: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let entered!: () => void
    const aStarted = new Promise<void>((r) => (entered = r))
    const batcher = new Batcher<string>({
      maxRows: 1,
      flushMs: 0,
      flush: async ([item]) => {
        order.push(`start ${item}`)
        if (item === 'a') {
          entered()
          await gate
        }
        order.push(`end ${item}`)
      },
    })
    const a = batcher.add(['a'])
    const b = batcher.add(['b'])
    await aStarted
    // b could only start on a later turn of the event loop: give it one, then check it did not
    await new Promise((r) => setImmediate(r))
    expect(order).toEqual(['start a'])
    release()
    await Promise.all([a, b])
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b'])
  })

  it('with flushMs 0, takes rows that arrive during a flush together into the next one', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const flushed: number[][] = []
    let entered!: () => void
    const firstStarted = new Promise<void>((r) => (entered = r))
    const batcher = new Batcher<number>({
      maxRows: 100,
      flushMs: 0,
      flush: async (items) => {
        flushed.push(items)
        if (items[0] === 1) {
          entered()
          await gate
        }
      },
    })
    const adds = [batcher.add([1]), batcher.add([2]), batcher.add([3, 4]), batcher.add([5])]
    await firstStarted
    await new Promise((r) => setImmediate(r))
    expect(flushed).toEqual([[1]])
    expect(batcher.buffered).toBe(4)
    release()
    await Promise.all(adds)
    expect(flushed).toEqual([[1], [2, 3, 4, 5]])
  })
})
