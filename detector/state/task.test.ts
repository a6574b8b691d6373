import { describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../../core/event.js'
import { ev } from '../../testkit/detector.js'
import { applyEvent, emptyTask, type TaskState } from './task.js'
import type { TaskList } from './task-logs.js'

function fold(events: Array<Partial<PrivpathEvent> & { kind: PrivpathEvent['kind'] }>, task = emptyTask('t1', 'acme')) {
  const drops: string[] = []
  for (const e of events) applyEvent(task, ev(e), [], (list: TaskList, reason) => drops.push(`${list}:${reason}`))
  return { task, drops }
}

const allows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ kind: 'authz_decision' as const, authz_result: 'allow' as const, authz_action: `svc.op${i}`, ts: from + i }))

describe('task state bounds', () => {
  it('keeps every decision of a small task, as the rules read them', () => {
    const { task, drops } = fold([
      { kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop', authz_resource: 'db/x', authz_policy: 'no-ddl', authz_engine: 'opa', agent_id: 'a', ts: 1 },
      { kind: 'authz_decision', authz_result: 'allow', authz_action: 'db.query', ts: 2 },
      { kind: 'approval', approval_result: 'requested', approval_action: 'pay', approval_approver: 'bob', ts: 3 },
    ])
    expect(task.authz).toEqual([
      { action: 'db.drop', resource: 'db/x', result: 'deny', policy: 'no-ddl', engine: 'opa', agent_id: 'a', ts: 1 },
      { action: 'db.query', resource: '', result: 'allow', policy: '', engine: '', agent_id: '', ts: 2 },
    ])
    expect(task.approvals).toEqual([{ action: 'pay', result: 'requested', approver: 'bob', ts: 3 }])
    expect(drops).toEqual([])
  })

  it('a deny survives 500 allows for other actions, and the cap is counted', () => {
    const { task, drops } = fold([{ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop', ts: 0 }, ...allows(500, 1)])
    expect(task.authz.filter((d) => d.result === 'deny')).toEqual([expect.objectContaining({ action: 'db.drop', ts: 0 })])
    expect(task.authz.length).toBeLessThanOrEqual(128)
    expect(drops.filter((d) => d === 'authz:cap').length).toBe(500 - 127)
  })

  it('a pending approval survives 500 grants for other actions', () => {
    const grants = Array.from({ length: 500 }, (_, i) => ({ kind: 'approval' as const, approval_result: 'granted' as const, approval_action: `op${i}`, ts: 1 + i }))
    const { task } = fold([{ kind: 'approval', approval_result: 'requested', approval_action: 'payments.transfer', ts: 0 }, ...grants])
    expect(task.approvals.filter((a) => a.result === 'requested')).toEqual([expect.objectContaining({ action: 'payments.transfer' })])
    expect(task.approvals.length).toBeLessThanOrEqual(64)
  })

  it('an allow for the action just before a call stays among many repeats of the same pattern', () => {
    const repeats = Array.from({ length: 300 }, (_, i) => [
      { kind: 'authz_decision' as const, authz_result: 'allow' as const, authz_action: 'db.query', ts: 10 * i },
      { kind: 'tool_invocation' as const, tool_name: 'db.query', ts: 10 * i + 1 },
    ]).flat()
    const { task } = fold(repeats)
    const held = task.authz.map((d) => d.ts)
    expect(held).toContain(0)
    expect(held).toContain(2990)
    expect(task.authz.length).toBeLessThanOrEqual(8)
    expect(task.tools.map((t) => t.ts)).toEqual([2961, 2971, 2981, 2991])
  })

  it('a flood of calls to one tool keeps the earlier calls of other tools', () => {
    const flood = Array.from({ length: 300 }, (_, i) => ({ kind: 'tool_invocation' as const, tool_name: 'web.fetch', ts: 1 + i }))
    const { task, drops } = fold([{ kind: 'tool_invocation', tool_name: 'crm.export', target_tenant: 'globex', ts: 0 }, ...flood])
    expect(task.tools[0]).toEqual(expect.objectContaining({ name: 'crm.export', target_tenant: 'globex' }))
    expect(task.tools.length).toBe(5)
    expect(task.tool_count).toBe(301)
    expect(drops.filter((d) => d === 'tools:overflow').length).toBe(300 - 4)
  })

  it('bounds a task built elsewhere once its list grows, keeping what it held within the bounds', () => {
    const task: TaskState = emptyTask('t1', 'acme')
    task.authz.push({ action: 'db.drop', resource: '', result: 'deny', policy: '', engine: '', agent_id: '', ts: 0 })
    for (let i = 1; i <= 40; i++) task.authz.push({ action: 'db.query', resource: '', result: 'allow', policy: '', engine: '', agent_id: '', ts: i })
    fold([{ kind: 'authz_decision', authz_result: 'allow', authz_action: 'db.query', ts: 41 }], task)
    expect(task.authz.map((d) => d.ts)).toEqual([0, 1, 35, 36, 37, 38, 39, 40, 41])
  })

  it('counts what the distinct-value lists push out', () => {
    const agents = Array.from({ length: 201 }, (_, i) => ({ kind: 'prompt' as const, agent_id: `agent${i}` }))
    const { task, drops } = fold(agents)
    expect(task.agents.length).toBe(200)
    expect(task.agents[0]).toBe('agent1')
    expect(drops).toEqual(['agents:overflow'])
  })
})
