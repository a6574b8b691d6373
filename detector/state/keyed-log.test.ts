import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyedLog, type DropReason, type LogPolicy } from './keyed-log.js'

interface Decision {
  action: string
  result: 'allow' | 'deny' | 'other'
  ts: number
}

function policy(perKey: number, maxKeys: number): LogPolicy<Decision> {
  return {
    perKey,
    maxKeys,
    key: (e) => `${e.action}|${e.result}`,
    role: (e) => (e.result === 'deny' ? 'blocker' : e.result === 'allow' ? 'clearer' : 'other'),
    related: (a, b) => a.action === b.action || a.action === '*' || b.action === '*',
    fold: (e) => ({ ...e, action: '*' }),
  }
}

function logOf(perKey: number, maxKeys: number) {
  const list: Decision[] = []
  const drops: DropReason[] = []
  const log = new KeyedLog(list, policy(perKey, maxKeys), 'authz')
  return { list, drops, add: (e: Decision) => log.add(e, (_tag, reason) => drops.push(reason)), log }
}

/** What action-after-deny asks at time `at`: is the latest decision for `action` a deny? */
function denied(list: Decision[], action: string, at: number): boolean {
  const matching = list.filter((d) => d.ts <= at && (d.action === action || d.action === '*'))
  const lastDeny = Math.max(...matching.filter((d) => d.result === 'deny').map((d) => d.ts))
  const lastAllow = Math.max(...matching.filter((d) => d.result === 'allow').map((d) => d.ts))
  return Number.isFinite(lastDeny) && lastAllow < lastDeny
}

describe('KeyedLog', () => {
  it('keeps the latest perKey entries of a key no rule compares, counting the rest', () => {
    const { list, drops, add } = logOf(3, 8)
    for (let ts = 1; ts <= 10; ts++) add({ action: 'x', result: 'other', ts })
    expect(list.map((d) => d.ts)).toEqual([8, 9, 10])
    expect(drops).toEqual(Array(7).fill('overflow'))
  })

  it('keeps a late entry in time order within its key, and drops it when it is the oldest', () => {
    const { list, add } = logOf(2, 8)
    add({ action: 'x', result: 'other', ts: 10 })
    add({ action: 'x', result: 'other', ts: 20 })
    add({ action: 'x', result: 'other', ts: 5 })
    expect(list.map((d) => d.ts)).toEqual([10, 20])
    add({ action: 'x', result: 'other', ts: 15 })
    expect(list.map((d) => d.ts)).toEqual([20, 15])
  })

  it('a flood of allows for other actions never pushes out a deny', () => {
    const { list, drops, add } = logOf(4, 8)
    add({ action: 'db.drop', result: 'deny', ts: 1 })
    for (let i = 0; i < 500; i++) add({ action: `op${i}`, result: 'allow', ts: 2 + i })
    expect(list.filter((d) => d.result === 'deny')).toEqual([{ action: 'db.drop', result: 'deny', ts: 1 }])
    expect(list.length).toBe(8)
    expect(drops.filter((r) => r === 'cap').length).toBe(500 - 7)
  })

  it('entries no rule compares never push out an allow', () => {
    const { list, add } = logOf(4, 2)
    add({ action: 'a', result: 'allow', ts: 1 })
    add({ action: 'b', result: 'other', ts: 2 })
    for (let i = 0; i < 10; i++) add({ action: `o${i}`, result: 'other', ts: 3 + i })
    expect(list.map((d) => d.action)).toEqual(['a', 'o9'])
  })

  it('folds a new deny into one catch-all when only denies are held, keeping every held deny', () => {
    const { list, drops, add } = logOf(4, 3)
    for (let i = 0; i < 3; i++) add({ action: `d${i}`, result: 'deny', ts: i })
    add({ action: 'late', result: 'deny', ts: 10 })
    add({ action: 'later', result: 'deny', ts: 11 })
    add({ action: 'ok', result: 'allow', ts: 12 })
    expect(list).toEqual([
      { action: 'd0', result: 'deny', ts: 0 },
      { action: 'd1', result: 'deny', ts: 1 },
      { action: 'd2', result: 'deny', ts: 2 },
      { action: '*', result: 'deny', ts: 10 },
      { action: '*', result: 'deny', ts: 11 },
    ])
    expect(drops).toEqual(['folded', 'folded', 'cap'])
    // the catch-all still makes the folded action count as denied
    expect(denied(list, 'later', 12)).toBe(true)
  })

  it('repeated denies merge without loss: the first deny and the latest stay', () => {
    const { list, drops, add } = logOf(3, 8)
    add({ action: 'x', result: 'deny', ts: 1 })
    add({ action: 'x', result: 'allow', ts: 2 })
    add({ action: 'x', result: 'deny', ts: 3 })
    // the call at 4 ran after the deny at 3; flooding denies after it must not hide that one
    for (let ts = 5; ts < 50; ts++) add({ action: 'x', result: 'deny', ts })
    expect(list.filter((d) => d.result === 'deny').map((d) => d.ts)).toEqual([1, 3, 49])
    expect(denied(list, 'x', 4)).toBe(true)
    expect(drops).toEqual([])
  })

  it('drops the oldest, counted, when every entry of a key is separated by the opposite role', () => {
    const { list, drops, add } = logOf(2, 8)
    for (let ts = 1; ts <= 6; ts++) add({ action: 'x', result: ts % 2 === 1 ? 'deny' : 'allow', ts })
    expect(list.map((d) => d.ts).sort((a, b) => a - b)).toEqual([3, 4, 5, 6])
    expect(drops).toEqual(['overflow', 'overflow'])
  })

  it('answers the deny-after-allow question like an unbounded list, for in-order decisions, when it counted no drop', () => {
    const decision = fc.record({ action: fc.constantFrom('a', 'b', '*'), result: fc.constantFrom<Decision['result']>('allow', 'deny') })
    let merged = 0
    fc.assert(
      fc.property(fc.array(decision, { maxLength: 40 }), (decisions) => {
        const { list, drops, add } = logOf(3, 64)
        const full = decisions.map((d, i) => ({ ...d, ts: i }))
        for (const d of full) add(d)
        if (drops.length > 0) return
        if (list.length < full.length) merged++
        for (let at = 0; at < full.length; at++) {
          for (const action of ['a', 'b']) expect(denied(list, action, at), `${action} at ${at}`).toBe(denied(full, action, at))
        }
      }),
      { numRuns: 300 },
    )
    // the property is about lists that lost entries to merging
    expect(merged).toBeGreaterThan(10)
  })
})
