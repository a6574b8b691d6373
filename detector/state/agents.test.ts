import { describe, expect, it } from 'vitest'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { AgentDecisions } from './agents.js'

const decision = (agent_id: string): PrivpathEvent => ({ ...emptyEvent(), kind: 'authz_decision', agent_id })

describe('agents with decisions', () => {
  it('remembers agents that had an authz decision, and only from decisions', () => {
    const agents = new AgentDecisions(10, () => undefined)
    agents.note({ ...emptyEvent(), kind: 'tool_invocation', agent_id: 'tooler' }, [])
    agents.note(decision('planner'), [])
    expect([agents.has('planner'), agents.has('tooler'), agents.has('')]).toEqual([true, false, false])
  })

  it("counts a decision without an agent for its task's agents", () => {
    const agents = new AgentDecisions(10, () => undefined)
    agents.note(decision(''), ['planner', 'executor'])
    expect([agents.has(''), agents.has('planner'), agents.has('executor'), agents.has('other')]).toEqual([true, true, true, false])
  })

  it('keeps at most its cap, forgetting the least recently decided agent and counting it', () => {
    let evicted = 0
    const agents = new AgentDecisions(2, () => evicted++)
    agents.note(decision('a'), [])
    agents.note(decision('b'), [])
    agents.note(decision('a'), [])
    agents.note(decision('c'), [])
    expect([agents.has('a'), agents.has('b'), agents.has('c'), agents.size, evicted]).toEqual([true, false, true, 2, 1])
  })
})
