import { describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../../core/event.js'
import { ev } from '../../testkit/detector.js'
import { FirstSeen, type FirstSeenLimits, type FirstSeenRow } from './first-seen.js'

const DAY = 86_400_000

function firstSeen(limits: Partial<FirstSeenLimits> = {}) {
  const rows: FirstSeenRow[] = []
  let evicted = 0
  const state = new FirstSeen('dom', { learningTasks: 0, learningMs: 0, max: 1_000, ...limits }, (row) => rows.push(row), (count) => (evicted += count))
  /** Judges, then learns, like the engine. */
  const step = (event: PrivpathEvent) => {
    const judged = state.judge(event)
    state.learn(event)
    return judged
  }
  return { state, rows, step, evicted: () => evicted }
}

const mcp = (server: string, task = 't1', extra: Partial<PrivpathEvent> = {}) =>
  ev({ kind: 'tool_invocation', agent_id: 'planner', task_id: task, tool_name: 'get_forecast', target_resource: server, attributes: { 'mcp.method.name': 'tools/call' }, ...extra })
const offered = (tools: Array<[string, string]>, server = '', task = 't1') =>
  ev({
    kind: server === '' ? 'prompt' : 'other',
    agent_id: 'planner',
    task_id: task,
    target_resource: server,
    attributes: {
      ...(server === '' ? {} : { 'mcp.method.name': 'tools/list' }),
      'privpath.tool_definitions': JSON.stringify(tools.map(([name, hash]) => ({ name, hash, definition: `def ${hash}` }))),
    },
  })

describe('first-seen state', () => {
  it('an agent learns its first tasks: nothing is new until a task after them', () => {
    const { step } = firstSeen({ learningTasks: 2 })
    expect(step(mcp('a:1', 't1'))).toMatchObject({ learning: true, mcp_server: false, tool: false })
    expect(step(mcp('b:1', 't2'))).toMatchObject({ learning: true, mcp_server: false })
    expect(step(mcp('c:1', 't2'))).toMatchObject({ learning: true, mcp_server: false })
    expect(step(mcp('a:1', 't3'))).toMatchObject({ learning: false, mcp_server: false, tool: false })
    expect(step(mcp('d:1', 't3'))).toMatchObject({ learning: false, mcp_server: true, tool: false })
    expect(step(mcp('d:1', 't4'))).toMatchObject({ mcp_server: false })
  })

  it('and its first learningMs of event time, counted from its first event', () => {
    const { step } = firstSeen({ learningMs: 1_000 })
    expect(step(mcp('a:1', 't1', { ts: 0 }))).toMatchObject({ learning: true })
    expect(step(mcp('b:1', 't2', { ts: 999 }))).toMatchObject({ learning: true })
    expect(step(mcp('c:1', 't3', { ts: 1_000 }))).toMatchObject({ learning: false, mcp_server: true })
  })

  it('judges tools by name, delegation edges, and MCP servers only on MCP spans, per agent and tenant', () => {
    const { step } = firstSeen()
    expect(step(ev({ kind: 'tool_invocation', agent_id: 'a', tool_name: 'crm.lookup', target_resource: 'crm://x' }))).toMatchObject({ tool: true, mcp_server: false })
    expect(step(ev({ kind: 'tool_invocation', agent_id: 'a', tool_name: 'crm.lookup', target_resource: 'crm://y' }))).toMatchObject({ tool: false })
    expect(step(ev({ kind: 'tool_invocation', agent_id: 'b', tool_name: 'crm.lookup' })).tool).toBe(true)
    expect(step(ev({ kind: 'tool_invocation', agent_id: 'a', tenant_id: 'globex', tool_name: 'crm.lookup' })).tool).toBe(true)
    expect(step(ev({ kind: 'delegation', agent_id: 'a', delegate_agent_id: 'b' })).delegation_edge).toBe(true)
    expect(step(ev({ kind: 'delegation', agent_id: 'a', delegate_agent_id: 'b' })).delegation_edge).toBe(false)
    expect(step(ev({ kind: 'delegation', agent_id: 'b', delegate_agent_id: 'a' })).delegation_edge).toBe(true)
    expect(step(ev({ kind: 'other', agent_id: 'a', target_resource: 'notes:1', attributes: { 'mcp.method.name': 'initialize' } })).mcp_server).toBe(true)
    expect(step(ev({ kind: 'tool_invocation', agent_id: '', tool_name: 'x' })).tool).toBe(false)
  })

  it('a changed definition of a known tool is a change, learning or not; one seen before is not', () => {
    const { step } = firstSeen({ learningTasks: 100 })
    expect(step(offered([['add_note', 'h1']], 'notes:1')).definition_changes).toEqual([])
    expect(step(offered([['add_note', 'h1']], 'notes:1')).definition_changes).toEqual([])
    const changed = step(offered([['add_note', 'h2'], ['list_notes', 'h9']], 'notes:1'))
    expect(changed).toMatchObject({ learning: true })
    expect(changed.definition_changes).toEqual([{ server: 'notes:1', tool: 'add_note', old_hash: 'h1', new_hash: 'h2', old: 'def h1', new: 'def h2' }])
    expect(step(offered([['add_note', 'h1']], 'notes:1')).definition_changes).toEqual([])
    // the same name on another server, or offered outside MCP, is another tool
    expect(step(offered([['add_note', 'h3']], 'other:1')).definition_changes).toEqual([])
    expect(step(offered([['add_note', 'h4']])).definition_changes).toEqual([])
  })

  it('writes each fact once, and again once a day while it is seen', () => {
    const { step, rows } = firstSeen()
    step(mcp('a:1', 't1', { ts: 0 }))
    expect(rows.map((r) => [r.kind, r.subject, r.object, r.hash])).toEqual([
      ['agent', 'planner', '', 'learning'],
      ['agent', 'planner', '', 'established'],
      ['mcp_server', 'planner', 'a:1', ''],
      ['tool', 'planner', 'get_forecast', ''],
    ])
    rows.length = 0
    step(mcp('a:1', 't2', { ts: DAY - 1 }))
    expect(rows).toEqual([])
    step(mcp('a:1', 't3', { ts: DAY }))
    expect(rows.map((r) => [r.kind, r.first_seen, r.seen_at])).toEqual([
      ['agent', 0, DAY],
      ['mcp_server', 0, DAY],
      ['tool', 0, DAY],
    ])
    rows.length = 0
    step(offered([['add_note', 'h1']], 'notes:1'))
    expect(rows.at(-1)).toMatchObject({ domain: 'dom', tenant_id: 'acme', kind: 'tool_definition', subject: 'planner', object: 'notes:1\u0000add_note', hash: 'h1', detail: 'def h1' })
  })

  it('loaded facts are known: an established agent stays established, a learning one keeps its learning time', () => {
    const { state } = firstSeen({ learningTasks: 5, learningMs: 10_000 })
    const row = (partial: Partial<FirstSeenRow>): FirstSeenRow => ({ domain: 'dom', tenant_id: 'acme', kind: 'tool', subject: 'planner', object: '', hash: '', detail: '', first_seen: 0, seen_at: 0, ...partial })
    state.load(row({ kind: 'agent', hash: 'learning' }))
    state.load(row({ kind: 'agent', hash: 'established' }))
    state.load(row({ kind: 'mcp_server', object: 'a:1' }))
    state.load(row({ kind: 'tool', object: 'get_forecast' }))
    state.load(row({ kind: 'tool_definition', object: 'notes:1\u0000add_note', hash: 'h1', detail: 'def h1' }))
    state.load(row({ kind: 'agent', subject: 'newcomer', hash: 'learning', first_seen: 50_000 }))
    expect(state.judge(mcp('a:1', 't9', { ts: 60_000 }))).toMatchObject({ learning: false, mcp_server: false, tool: false })
    expect(state.judge(mcp('b:1', 't9', { ts: 60_000 }))).toMatchObject({ learning: false, mcp_server: true })
    expect(state.judge(offered([['add_note', 'h2']], 'notes:1')).definition_changes).toMatchObject([{ old_hash: 'h1', old: 'def h1', new_hash: 'h2' }])
    expect(state.judge(mcp('b:1', 't9', { agent_id: 'newcomer', ts: 59_999 }))).toMatchObject({ learning: true })
    expect(state.judge(mcp('b:1', 't9', { agent_id: 'newcomer', ts: 60_000 }))).toMatchObject({ learning: true })
  })

  it('over max facts the least recently seen agents leave whole, and learn again when they come back', () => {
    const { state, step, evicted } = firstSeen({ max: 6, learningTasks: 1 })
    const call = (agent: string, tool: string, task: string, ts: number) => ev({ kind: 'tool_invocation', agent_id: agent, tool_name: tool, task_id: task, ts })
    step(call('x', 't.a', 'x1', 0))
    step(call('x', 't.b', 'x2', 1))
    step(call('y', 't.c', 'y1', 10))
    expect(state.size).toBe(5)
    step(call('z', 't.d', 'z1', 20))
    // x (the agent and its two tools) was seen least recently: it left, and made room
    expect(evicted()).toBe(3)
    expect(state.size).toBe(4)
    expect(step(call('y', 't.e', 'y2', 30))).toMatchObject({ learning: false, tool: true })
    expect(step(call('x', 't.z', 'x3', 40))).toMatchObject({ learning: true, tool: false })
  })
})
