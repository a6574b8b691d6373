import { describe, expect, it } from 'vitest'
import { append } from './lists.js'

describe('append', () => {
  it('copies a short list one longer, then grows a long one in place', () => {
    let list: string[] = []
    const seen: string[][] = []
    for (let i = 0; i < 10; i++) {
      const before = list
      list = append(list, `v${i}`)
      seen.push(before)
      // a short list is left as it was (state may still hand it to a rule); a long one grows
      expect(list === before).toBe(i >= 8)
    }
    expect(list).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`))
    expect(seen[3]).toEqual(['v0', 'v1', 'v2'])
  })
})
