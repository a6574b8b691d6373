import { describe, expect, it } from 'vitest'
import { RecentSpans } from './recent-spans.js'

describe('RecentSpans', () => {
  it('remembers the newest spans up to its capacity and forgets the oldest first', () => {
    const spans = new RecentSpans(3)
    for (const id of ['a', 'b', 'c']) spans.add(id)
    expect(['a', 'b', 'c'].map((id) => spans.has(id))).toEqual([true, true, true])
    spans.add('d')
    expect(spans.has('a')).toBe(false)
    expect(['b', 'c', 'd'].map((id) => spans.has(id))).toEqual([true, true, true])
    spans.add('e')
    spans.add('f')
    expect(spans.size).toBe(3)
    expect(['d', 'e', 'f'].map((id) => spans.has(id))).toEqual([true, true, true])
  })

  it('does not count a span twice (several events of one span) nor an empty id', () => {
    const spans = new RecentSpans(2)
    spans.add('a')
    spans.add('a')
    spans.add('')
    spans.add('b')
    expect(spans.has('a')).toBe(true)
    expect(spans.has('')).toBe(false)
    expect(spans.size).toBe(2)
  })
})
