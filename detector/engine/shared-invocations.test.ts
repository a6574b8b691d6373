/** Several reports of one invocation (an MCP tools/call's client and server spans share an event id). */
import { describe, expect, it } from 'vitest'
import { sharedInvocationId } from '../../core/event.js'
import { engineWith, ev, rulesFrom } from '../../testkit/detector.js'

const RULES = rulesFrom(`
- id: judged
  title: judged tool calls
  description: every judged tool invocation, and what first-seen made of it
  severity: info
  status: test
  on: [tool_invocation, other]
  summary: '"tools before " & $string(task.tool_count) & ", new server " & $string(first_seen.mcp_server)'
  dedup: { key: event.event_id & "|" & event.span_id, window: 1h }
`)

const ID = sharedInvocationId('trace1', 'k1')
const copy = (side: 'client' | 'server', extra = {}) =>
  ev({
    kind: 'tool_invocation', event_id: ID, span_id: side, agent_id: 'planner', tool_name: 'get_weather', ts: side === 'client' ? 1_000 : 1_005,
    target_resource: side === 'client' ? 'weather.internal:8080' : 'weather-mcp', attributes: { 'mcp.method.name': 'tools/call' }, ...extra,
  })

describe('shared invocations in the detector', () => {
  it('judges and counts the first copy only, in either order', async () => {
    for (const order of [['client', 'server'], ['server', 'client']] as const) {
      const engine = engineWith(RULES)
      const alerts = await engine.processBatch([copy(order[0]), copy(order[1]), ev({ kind: 'tool_invocation', agent_id: 'planner', tool_name: 'x', ts: 2_000 })])
      expect(alerts.map((a) => [a.summary.split(',')[0], alerts.indexOf(a)])).toEqual([['tools before 0', 0], ['tools before 1', 1]])
    }
  })

  it('a copy arriving after a restart, when the first was restored from history, is not judged again', async () => {
    const engine = engineWith(RULES)
    engine.restore(copy('client'))
    expect(await engine.processBatch([copy('server')])).toEqual([])
  })

  it('a later copy teaches first-seen the name its side gives the server', async () => {
    const engine = engineWith(RULES, { first_seen_learning_tasks: 0 })
    await engine.processBatch([copy('client'), copy('server')])
    const [later] = await engine.processBatch([ev({ kind: 'other', agent_id: 'planner', task_id: 't2', target_resource: 'weather-mcp', ts: 3_000, attributes: { 'mcp.method.name': 'tools/list' } })])
    expect(later.summary).toBe('tools before 0, new server false')
  })
})
