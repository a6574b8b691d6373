import { describe, expect, it } from 'vitest'
import { LruMap } from './lru.js'

describe('LruMap', () => {
  it('orders entries by when they were last set, oldest first', () => {
    const lru = new LruMap<number>()
    lru.set('a', 1)
    lru.set('b', 2)
    lru.set('c', 3)
    lru.set('a', 4)
    expect([...lru.values()]).toEqual([2, 3, 4])
    expect(lru.oldest()).toEqual(['b', 2])
    expect(lru.get('a')).toBe(4)
    expect(lru.size).toBe(3)
  })

  it('reading does not refresh an entry', () => {
    const lru = new LruMap<string>()
    lru.set('a', 'x')
    lru.set('b', 'y')
    lru.get('a')
    expect(lru.oldest()).toEqual(['a', 'x'])
  })

  it('unlinks deleted entries from either end and the middle', () => {
    const lru = new LruMap<number>()
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) lru.set(k, i)
    expect(lru.delete('a')).toBe(true)
    expect(lru.delete('d')).toBe(true)
    expect(lru.delete('x')).toBe(false)
    expect([...lru.values()]).toEqual([1, 2])
    lru.delete('b')
    lru.delete('c')
    expect(lru.oldest()).toBeUndefined()
    expect([...lru.values()]).toEqual([])
    lru.set('e', 5)
    expect([...lru.values()]).toEqual([5])
    expect(lru.has('e')).toBe(true)
  })

  it('sorts by marks, least first, ties in their order, and keeps working as a list afterwards', () => {
    const lru = new LruMap<string>()
    for (const [k, mark] of [['a', 30], ['b', 10], ['c', 20], ['d', 10]] as const) lru.set(k, k, mark)
    lru.sortByMark()
    expect([...lru.values()]).toEqual(['b', 'd', 'c', 'a'])
    expect(lru.oldest()).toEqual(['b', 'b'])
    lru.set('b', 'b', 40)
    lru.delete('a')
    expect([...lru.values()]).toEqual(['d', 'c', 'b'])
  })
})
