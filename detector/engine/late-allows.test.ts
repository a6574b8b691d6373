/**
 * An agent whose decisions arrive as OPA decision logs (minutes late, in batches) is given
 * `authz_lateness_ms` before a privileged call without an allow counts as one: the late allow
 * closes it. An agent whose decisions arrive as they are made keeps the rule's own 10 s.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { engineWith, ev, feed } from '../../testkit/detector.js'
import { loadRules, resolveRulesDirs } from '../rules/load.js'
import type { Rule } from '../rules/types.js'

const RULE = 'privileged-tool-without-allow'
let rules: Rule[]

beforeAll(async () => {
  const set = await loadRules(resolveRulesDirs(''), { timeoutMs: 50 })
  rules = set.rules.filter((r) => r.id === RULE)
})

function scenario(source: 'opa' | 'privpath', allowLateMs: number) {
  const call = 100_000
  return [
    // the agent had a decision before, in another task: its policy engine exists
    ev({ kind: 'authz_decision', task_id: 't0', agent_id: 'planner', source, authz_engine: source, authz_result: 'allow', authz_action: 'kb.search', ts: 1_000 }),
    ev({ kind: 'tool_invocation', agent_id: 'planner', tool_name: 'payments.transfer', ts: call }),
    // traffic goes on: five minutes pass in the domain
    ev({ kind: 'prompt', task_id: 't9', ts: call + allowLateMs - 1 }),
    // the allow for the call, dated at its start, arrives only now
    ev({ kind: 'authz_decision', agent_id: 'planner', source, authz_engine: source, authz_result: 'allow', authz_action: 'payments.transfer', ts: call }),
    ev({ kind: 'prompt', task_id: 't9', ts: call + 20 * 60_000 }),
  ]
}

describe('late allows from decision logs', () => {
  it('an OPA-reporting agent: an allow uploaded five minutes after the call closes it', async () => {
    const engine = engineWith(rules)
    const alerts = await feed(engine, scenario('opa', 5 * 60_000))
    expect(alerts.filter((a) => a.rule_id === RULE)).toEqual([])
  })

  it('an OPA-reporting agent: no allow within authz_lateness_ms still alerts', async () => {
    const engine = engineWith(rules)
    const events = scenario('opa', 5 * 60_000).filter((e) => !(e.kind === 'authz_decision' && e.authz_action === 'payments.transfer'))
    const alerts = await feed(engine, events)
    expect(alerts.filter((a) => a.rule_id === RULE)).toHaveLength(1)
  })

  it('an agent whose decisions arrive as they are made keeps the 10 s: five minutes late is too late', async () => {
    const engine = engineWith(rules)
    const alerts = await feed(engine, scenario('privpath', 5 * 60_000))
    expect(alerts.filter((a) => a.rule_id === RULE)).toHaveLength(1)
  })
})
