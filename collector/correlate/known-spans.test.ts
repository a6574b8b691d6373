import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KnownSpans, type Placement } from './known-spans.js'

const placement = (taskId: string): Placement => ({ traceId: 't', tenantId: 'acme', taskId, agentId: '', agentName: '' })

const step = fc.record({ op: fc.constantFrom('set', 'get'), key: fc.integer({ min: 0, max: 40 }).map((n) => `k${n}`) })

describe('KnownSpans', () => {
  it('stays within capacity, counts each eviction, returns the latest placement, and keeps the most recently used half', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(step, { maxLength: 300 }), (capacity, steps) => {
        let evicted = 0
        let inserted = 0
        const known = new KnownSpans(capacity, (count) => (evicted += count))
        const latest = new Map<string, string>()
        const lastUse = new Map<string, number>()
        steps.forEach(({ op, key }, clock) => {
          if (op === 'set') {
            if (!known.has(key)) inserted++
            known.set(key, placement(`t${clock}`))
            latest.set(key, `t${clock}`)
          } else {
            const found = known.get(key)
            if (found === undefined) return
            expect(found.taskId).toBe(latest.get(key))
          }
          lastUse.set(key, clock)
          expect(known.size()).toBeLessThanOrEqual(capacity)
          expect(known.size() + evicted).toBe(inserted)
          const mostRecent = [...lastUse].sort((a, b) => b[1] - a[1]).slice(0, Math.floor(capacity / 2))
          for (const [recent] of mostRecent) expect(known.has(recent)).toBe(true)
        })
      }),
      { numRuns: 500 },
    )
  })

  it('evicts a whole generation at once when the newer one is full, and moves what is read to the newer one', () => {
    let evicted = 0
    const known = new KnownSpans(4, (count) => (evicted += count))
    for (const key of ['a', 'b', 'c', 'd']) known.set(key, placement(key))
    expect(evicted).toBe(0)
    known.set('e', placement('e'))
    // Exact LRU would drop only a; the older generation {a, b} goes together.
    expect(evicted).toBe(2)
    expect(['a', 'b', 'c', 'd', 'e'].filter((key) => known.has(key))).toEqual(['c', 'd', 'e'])
    expect(known.get('c')?.taskId).toBe('c')
    known.set('f', placement('f'))
    known.set('g', placement('g'))
    // c was read, so it moved into the newer generation and outlived d, written after it.
    expect(['c', 'd', 'e', 'f', 'g'].filter((key) => known.has(key))).toEqual(['c', 'e', 'f', 'g'])
    expect(evicted).toBe(3)
  })

})
