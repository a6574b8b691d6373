import { describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../../core/event.js'
import { ev } from '../../testkit/detector.js'
import { CredentialRegistry, type RegistryLimits } from './registry.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

function registry(limits: Partial<RegistryLimits> = {}) {
  const evictions: string[] = []
  const reg = new CredentialRegistry(
    { graceMs: HOUR, max: 100, tombstoneMs: 7 * DAY, maxTombstones: 100, ...limits },
    (reason, what) => evictions.push(`${what}:${reason}`),
  )
  const apply = (...events: Array<Partial<PrivpathEvent> & { kind: PrivpathEvent['kind'] }>) => {
    for (const e of events) reg.apply(ev(e))
  }
  return { reg, evictions, apply }
}

const issued = (id: string, ts = 0, more: Partial<PrivpathEvent> = {}) =>
  ({ kind: 'credential_issued' as const, credential_id: id, task_id: 'task-1', credential_type: 'oauth2', credential_scopes: ['db:read'], ts, ...more })
const revoked = (id: string, ts: number) => ({ kind: 'credential_revoked' as const, credential_id: id, ts })

describe('credential tombstones', () => {
  it('answers for a revoked credential after the grace, from a tombstone', () => {
    const { reg, evictions, apply } = registry()
    apply(issued('c1'), { kind: 'credential_used', credential_id: 'c1', ts: 10 }, revoked('c1', 1_000))
    reg.evict(1_000 + HOUR)
    expect(reg.size).toBe(0)
    expect(reg.tombstoneCount).toBe(1)
    expect(reg.get('c1')).toEqual({
      credential_id: 'c1', task_id: 'task-1', tenant_id: 'acme', type: 'oauth2', issuer: '', subject: '', scopes: ['db:read'],
      issued_at: 0, expires_at: null, revoked_at: 1_000, used_in_tasks: [], task_ended_at: null,
    })
    expect(evictions).toEqual(['credential:expired'])
  })

  it('answers for an expired credential likewise, and forgets one that never ended', () => {
    const { reg, apply } = registry({ max: 1 })
    apply(issued('exp', 0, { credential_expires_at: 5_000 }))
    reg.evict(5_000 + HOUR)
    expect(reg.get('exp')).toMatchObject({ expires_at: 5_000, revoked_at: null })
    apply(issued('forever', 1), issued('other', 2))
    expect(reg.get('forever')).toBeNull()
  })

  it('keeps a tombstone credential_tombstone_ms after the credential ended (event time), then forgets it', () => {
    const { reg, evictions, apply } = registry({ tombstoneMs: 2 * DAY })
    apply(issued('c1'), revoked('c1', 1_000))
    reg.evict(1_000 + 2 * DAY - 1)
    expect(reg.get('c1')).not.toBeNull()
    reg.evict(1_000 + 2 * DAY)
    expect(reg.get('c1')).toBeNull()
    expect(reg.tombstoneCount).toBe(0)
    expect(evictions).toEqual(['credential:expired', 'credential_tombstone:expired'])
  })

  it('holds at most max_credential_tombstones, the least recently touched leaving first', () => {
    const { reg, evictions, apply } = registry({ maxTombstones: 2 })
    apply(...['a', 'b', 'c'].flatMap((id, i) => [issued(id, i), revoked(id, (i + 1) * 10_000)]))
    reg.evict(20_000 + HOUR)
    expect(reg.tombstoneCount).toBe(2)
    // a replay of a touches its tombstone: b is now the least recently touched
    apply({ kind: 'credential_used', credential_id: 'a', ts: 2 * DAY })
    reg.evict(30_000 + HOUR)
    expect(reg.tombstoneCount).toBe(2)
    expect(reg.get('a')).not.toBeNull()
    expect(reg.get('b')).toBeNull()
    expect(reg.get('c')).not.toBeNull()
    expect(evictions.filter((e) => e === 'credential_tombstone:cap')).toEqual(['credential_tombstone:cap'])
  })

  it('still expires tombstones once many were pushed out at the cap', () => {
    const { reg, evictions, apply } = registry({ max: 10_000, maxTombstones: 2, tombstoneMs: DAY })
    // the last burial rebuilds the deadline heap (more than 2 * held + 1024 entries)
    const n = 2 * 2 + 1_025
    apply(...Array.from({ length: n }, (_, i) => [issued(`c${i}`, i), revoked(`c${i}`, 1_000 * (i + 1))]).flat())
    reg.evict(1_000 * n + HOUR)
    expect(reg.tombstoneCount).toBe(2)
    reg.evict(1_000 * (n - 1) + DAY)
    expect(reg.get(`c${n - 2}`)).toBeNull()
    expect(reg.get(`c${n - 1}`)).not.toBeNull()
    reg.evict(1_000 * n + DAY)
    expect(reg.tombstoneCount).toBe(0)
    expect(evictions.filter((e) => e === 'credential_tombstone:expired').length).toBe(2)
  })

  it('a credential evicted at the live cap before it ended is remembered until its expiry + tombstone time', () => {
    const { reg, apply } = registry({ max: 1, tombstoneMs: DAY })
    apply(issued('a', 0, { credential_expires_at: 10 * DAY }), issued('b', 1))
    expect(reg.size).toBe(1)
    expect(reg.get('a')).toMatchObject({ expires_at: 10 * DAY })
    reg.evict(11 * DAY - 1)
    expect(reg.get('a')).not.toBeNull()
    reg.evict(11 * DAY)
    expect(reg.get('a')).toBeNull()
  })

  it('a later re-issue under the same id replaces the tombstone; the original issue seen again does not', () => {
    const { reg, apply } = registry()
    apply(issued('c1', 0), revoked('c1', 1_000))
    reg.evict(1_000 + HOUR)
    apply(issued('c1', 0))
    expect(reg.get('c1')).toMatchObject({ revoked_at: 1_000 })
    expect(reg.size).toBe(0)
    apply(issued('c1', 2 * DAY, { task_id: 'task-2' }))
    expect(reg.get('c1')).toMatchObject({ task_id: 'task-2', issued_at: 2 * DAY, revoked_at: null })
    expect(reg.size).toBe(1)
    expect(reg.tombstoneCount).toBe(0)
  })

  it('a revocation of an expired credential updates its tombstone', () => {
    const { reg, apply } = registry()
    apply(issued('c1', 0, { credential_expires_at: 1_000 }))
    reg.evict(1_000 + HOUR)
    apply(revoked('c1', 2 * HOUR))
    expect(reg.get('c1')).toMatchObject({ expires_at: 1_000, revoked_at: 2 * HOUR })
    expect(reg.size).toBe(0)
  })

  it('keeps none with credential_tombstone_ms 0 or max_credential_tombstones 0', () => {
    for (const limits of [{ tombstoneMs: 0 }, { maxTombstones: 0 }]) {
      const { reg, apply } = registry(limits)
      apply(issued('c1'), revoked('c1', 1_000))
      reg.evict(1_000 + HOUR)
      expect(reg.get('c1')).toBeNull()
    }
  })
})
