import { describe, expect, it } from 'vitest'
import { RecentSpans } from './recent-spans.js'

describe('RecentSpans', () => {
  it('remembers the newest spans up to its capacity and forgets the oldest first', () => {
    const spans = new RecentSpans(3)
    for (const id of ['a', 'b', 'c']) spans.add(id, 't')
    expect(['a', 'b', 'c'].map((id) => spans.has(id))).toEqual([true, true, true])
    spans.add('d', 't')
    expect(spans.has('a')).toBe(false)
    expect(['b', 'c', 'd'].map((id) => spans.has(id))).toEqual([true, true, true])
    spans.add('e', 't')
    spans.add('f', 't')
    expect(spans.size).toBe(3)
    expect(['d', 'e', 'f'].map((id) => spans.has(id))).toEqual([true, true, true])
  })

  it('does not count a span twice (several events of one span) nor an empty id', () => {
    const spans = new RecentSpans(2)
    spans.add('a', 't1')
    spans.add('a', 't2')
    spans.add('', 't1')
    spans.add('b', 't3')
    expect(spans.has('a')).toBe(true)
    expect(spans.has('')).toBe(false)
    expect(spans.size).toBe(2)
    expect(spans.taskOf('a')).toBe('t1')
    expect(spans.taskOf('b')).toBe('t3')
    expect(spans.taskOf('c')).toBeUndefined()
  })
})
