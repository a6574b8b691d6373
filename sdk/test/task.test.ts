import { context, propagation, trace, SpanStatusCode } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { harness, TASK, TASK_ATTRIBUTES } from './harness.js'

describe('startTask', () => {
  it('records a root invoke_agent span with every task attribute and returns what fn returns', () => {
    const h = harness()
    const result = h.privpath.startTask(TASK, (task) => {
      expect(task.taskId).toBe('task-1')
      return 42
    })
    expect(result).toBe(42)
    const root = h.span('invoke_agent planner')
    expect(root.attributes).toEqual({ 'gen_ai.operation.name': 'invoke_agent', ...TASK_ATTRIBUTES })
    expect(root.parentSpanContext).toBeUndefined()
  })

  it('puts the task id and tenant into baggage and makes the task span current inside fn', () => {
    const h = harness()
    h.privpath.startTask(TASK, (task) => {
      const baggage = propagation.getBaggage(context.active())
      expect(baggage?.getEntry('agent.task.id')?.value).toBe('task-1')
      expect(baggage?.getEntry('tenant.id')?.value).toBe('acme')
      expect(trace.getActiveSpan()).toBe(task.span)
    })
    expect(propagation.getBaggage(context.active())).toBeUndefined()
  })

  it('generates a task id when none is given and names the span by agent id without a name', () => {
    const h = harness()
    const taskId = h.privpath.startTask({ tenantId: 'acme', agentId: 'agent-x' }, (task) => task.taskId)
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/)
    expect(h.span('invoke_agent agent-x').attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'tenant.id': 'acme',
      'agent.task.id': taskId,
      'gen_ai.agent.id': 'agent-x',
    })
  })

  it('ends the span when an async fn settles and marks a rejection as an error', async () => {
    const h = harness()
    await expect(
      h.privpath.startTask(TASK, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        throw new RangeError('boom')
      }),
    ).rejects.toThrow('boom')
    const root = h.span('invoke_agent planner')
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' })
    expect(root.attributes['error.type']).toBe('RangeError')
    expect(root.events.map((e) => e.name)).toEqual(['exception', 'agent.task.end'])
  })

  it('ends the task with an agent.task.end event on the task span, at its end', () => {
    const h = harness()
    h.privpath.startTask(TASK, () => h.privpath.recordPrompt('hi'))
    const root = h.span('invoke_agent planner')
    expect(root.events.map((e) => [e.name, e.attributes])).toEqual([['agent.task.end', {}]])
    const nanos = ([s, ns]: readonly [number, number]) => BigInt(s) * 1_000_000_000n + BigInt(ns)
    expect(nanos(root.events[0].time)).toBeGreaterThanOrEqual(nanos(h.span('chat').endTime))
    expect(nanos(root.events[0].time)).toBeLessThanOrEqual(nanos(root.endTime))
  })

  it('keepOpen leaves the task open for a later turn, which ends it', async () => {
    const h = harness()
    h.privpath.startTask({ ...TASK, keepOpen: true }, () => undefined)
    await h.privpath.startTask({ ...TASK, keepOpen: true }, async () => {
      throw new Error('turn failed')
    }).catch(() => undefined)
    h.privpath.startTask(TASK, () => undefined)
    expect(h.spans().map((span) => span.events.map((e) => e.name))).toEqual([[], ['exception'], ['agent.task.end']])
  })

  it('rejects a task without tenant or agent with a TypeError naming the field', () => {
    const h = harness()
    expect(() => h.privpath.startTask({ tenantId: '', agentId: 'a' }, () => 1)).toThrow(/tenantId/)
    expect(() => h.privpath.startTask({ tenantId: 't', agentId: '' }, () => 1)).toThrow(/agentId/)
    expect(h.spans()).toHaveLength(0)
  })
})

describe('delegate', () => {
  it('records a child invoke_agent span naming the delegate and the scopes handed over', () => {
    const h = harness()
    h.privpath.startTask(TASK, () =>
      h.privpath.delegate({ agentId: 'agent-billing', agentName: 'billing', scopes: ['invoices:read'] }, () =>
        h.privpath.toolCall('list_invoices', { callId: 'c1' }, () => 'ok'),
      ),
    )
    const root = h.span('invoke_agent planner')
    const delegation = h.span('invoke_agent billing')
    expect(delegation.parentSpanContext?.spanId).toBe(root.spanContext().spanId)
    expect(delegation.attributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'tenant.id': 'acme',
      'agent.task.id': 'task-1',
      'gen_ai.agent.id': 'agent-billing',
      'gen_ai.agent.name': 'billing',
      'agent.workload.id': 'spiffe://acme/agents/planner',
      'enduser.id': 'alice',
      'agent.delegation.scopes': ['invoices:read'],
    })
    const tool = h.span('execute_tool list_invoices')
    expect(tool.parentSpanContext?.spanId).toBe(delegation.spanContext().spanId)
    expect(tool.attributes['gen_ai.agent.id']).toBe('agent-billing')
    expect(tool.attributes['agent.task.id']).toBe('task-1')
  })

  it('leaves agent.delegation.scopes out when no scopes are given', () => {
    const h = harness()
    h.privpath.startTask(TASK, () => h.privpath.delegate({ agentId: 'agent-b' }, () => undefined))
    expect(h.span('invoke_agent agent-b').attributes).not.toHaveProperty('agent.delegation.scopes')
  })
})
