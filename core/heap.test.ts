import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MinHeap } from './heap.js'

describe('MinHeap', () => {
  it('hands items back earliest first whatever the push order, peek showing the next one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 })), (times) => {
        const heap = new MinHeap<{ at: number; i: number }>()
        times.forEach((at, i) => heap.push({ at, i }))
        expect(heap.size).toBe(times.length)
        const out: number[] = []
        for (let next = heap.peek(); next; next = heap.peek()) {
          expect(heap.pop()).toBe(next)
          out.push(next.at)
        }
        expect(heap.pop()).toBeUndefined()
        expect(out).toEqual([...times].sort((a, b) => a - b))
      }),
    )
  })
})
