import { describe, expect, it } from 'vitest'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { CredentialRegistry } from './registry.js'

const GRACE = 60_000

function registry(max = 100): CredentialRegistry {
  return new CredentialRegistry({ graceMs: GRACE, max })
}

function event(kind: PrivpathEvent['kind'], taskId: string, ts: number, credentialId = ''): PrivpathEvent {
  return { ...emptyEvent(), kind, task_id: taskId, ts, credential_id: credentialId, credential_expires_at: credentialId === '' ? null : ts + 3_600_000 }
}

const issued = (credentialId: string, taskId: string, ts: number) => event('credential_issued', taskId, ts, credentialId)
const used = (credentialId: string, taskId: string, ts: number) => event('credential_used', taskId, ts, credentialId)
const end = (taskId: string, ts: number) => event('task_end', taskId, ts)

describe('credential registry: task ends', () => {
  it('a task_end applied twice, or once more later, keeps the earliest end', () => {
    const r = registry()
    r.apply(issued('c1', 't1', 1_000))
    r.apply(end('t1', 5_000))
    r.apply(end('t1', 5_000))
    r.apply(end('t1', 9_000))
    expect(r.get('c1')?.task_ended_at).toBe(5_000)
    r.apply(end('t1', 4_000))
    expect(r.get('c1')?.task_ended_at).toBe(4_000)
  })

  it('a task_end applied before the issue of a credential of that task still ends it (another partition of credentials)', () => {
    const r = registry()
    r.apply(end('t1', 5_000))
    r.apply(issued('c1', 't1', 1_000))
    expect(r.get('c1')?.task_ended_at).toBe(5_000)
  })

  it('a credential issued for a task after its end is not ended by it, as when applied in order', () => {
    const inOrder = registry()
    inOrder.apply(end('t1', 5_000))
    inOrder.apply(issued('c1', 't1', 6_000))
    expect(inOrder.get('c1')?.task_ended_at).toBeNull()
  })

  it('ends every credential of a task, also when the task has several and one moved to another task', () => {
    const r = registry()
    for (const id of ['c1', 'c2', 'c3']) r.apply(issued(id, 't1', 1_000))
    // re-issued for t2: no longer t1's
    r.apply(issued('c3', 't2', 2_000))
    r.apply(end('t1', 5_000))
    expect(['c1', 'c2', 'c3'].map((id) => r.get(id)?.task_ended_at)).toEqual([5_000, 5_000, null])
    r.apply(end('t2', 6_000))
    expect(r.get('c3')?.task_ended_at).toBe(6_000)
  })

  it('a credential first seen in use by another task takes its issuing task’s end, not the user’s', () => {
    const r = registry()
    r.apply(used('c1', 't2', 2_000))
    r.apply(end('t2', 3_000))
    expect(r.get('c1')?.task_ended_at).toBe(3_000)
    r.apply(issued('c1', 't1', 1_000))
    expect(r.get('c1')?.task_id).toBe('t1')
    expect(r.get('c1')?.task_ended_at).toBeNull()
    r.apply(end('t1', 8_000))
    expect(r.get('c1')?.task_ended_at).toBe(8_000)
  })

  it('forgets a task end grace after it, and the oldest beyond the cap', () => {
    const r = registry(2)
    r.apply(end('t1', 5_000))
    r.evict(5_000 + GRACE)
    r.apply(issued('c1', 't1', 1_000))
    expect(r.get('c1')?.task_ended_at).toBeNull()

    r.apply(end('a', 5_000))
    r.apply(end('b', 5_000))
    r.apply(end('c', 5_000))
    r.apply(issued('ca', 'a', 1_000))
    r.apply(issued('cc', 'c', 1_000))
    expect([r.get('ca')?.task_ended_at, r.get('cc')?.task_ended_at]).toEqual([null, 5_000])
  })
})
