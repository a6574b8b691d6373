import { describe, expect, it } from 'vitest'
import { alertId } from '../../core/alert.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { engineWith, ev, feed, metricValue, rulesFrom } from '../../testkit/detector.js'

const CROSS_TASK = `
id: cred-reuse
title: reuse
severity: high
on: [credential_used]
when: credential != null and credential.task_id != event.task_id
summary: '"reuse of " & event.credential_id & " from " & credential.task_id & " in " & event.task_id'
dedup: { key: event.credential_id, window: 10m }
frameworks: { owasp_nhi: [NHI5] }
tags: [credential]
runbook: revoke it
`

describe('task state', () => {
  it('shows the state before the current event and folds it in afterwards', async () => {
    const [rule] = rulesFrom(`
id: third-tool
title: t
severity: low
on: [tool_invocation]
when: task.tool_count = 2 and $count(task.tools) = 2 and task.prompt_count = 1
summary: '$string(task.tools[1].name) & " then " & event.tool_name'
`)
    const engine = engineWith([rule])
    const alerts = await feed(engine, [
      ev({ kind: 'prompt', ts: 1 }),
      ev({ kind: 'tool_invocation', tool_name: 'a', ts: 2 }),
      ev({ kind: 'tool_invocation', tool_name: 'b', ts: 3 }),
      ev({ kind: 'tool_invocation', tool_name: 'c', ts: 4 }),
      ev({ kind: 'tool_invocation', tool_name: 'd', ts: 5 }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['b then c'])
    expect(alerts[0].path).toBe('prompt → tool a → tool b → tool c')
  })

  it('tracks agent scopes from credentials and delegations, and untrusted outputs', async () => {
    const [rule] = rulesFrom(`
id: escalation
title: t
severity: high
on: [tool_invocation]
when: $count($minus(task.agent_scopes.b, task.agent_scopes.a)) > 0 and $count(task.untrusted_outputs) = 1
summary: '$join($minus(task.agent_scopes.b, task.agent_scopes.a), ",")'
`)
    const engine = engineWith([rule], { untrusted_output_tools: ['web.*'] })
    const alerts = await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'c1', credential_subject: 'a', credential_scopes: ['read'], ts: 1 }),
      ev({ kind: 'delegation', agent_id: 'a', delegate_agent_id: 'b', delegated_scopes: ['read', 'admin'], ts: 2 }),
      ev({ kind: 'tool_invocation', tool_name: 'web.fetch', ts: 3 }),
      ev({ kind: 'tool_invocation', tool_name: 'db.query', ts: 4 }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['admin'])
  })
})

describe('agents with policy decisions', () => {
  const DECIDED = `
id: decided
title: t
severity: low
on: [tool_invocation]
when: agent_has_decisions
summary: 'event.agent_id & " in " & event.task_id'
`

  it('knows, per isolation domain, whether the agent ever had a decision, from any task and after a restore', async () => {
    const [rule] = rulesFrom(DECIDED)
    const engine = engineWith([rule])
    const alerts = await feed(engine, [
      ev({ kind: 'tool_invocation', agent_id: 'planner', task_id: 't1', ts: 1 }),
      ev({ kind: 'authz_decision', agent_id: 'planner', task_id: 't1', authz_result: 'deny', ts: 2 }),
      ev({ kind: 'tool_invocation', agent_id: 'planner', task_id: 't2', ts: 3 }),
      ev({ kind: 'tool_invocation', agent_id: 'reader', task_id: 't2', ts: 4 }),
      // the same agent id sent with another key's tenant is another agent
      ev({ kind: 'tool_invocation', agent_id: 'planner', task_id: 't3', domain: 'globex', ts: 5 }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['planner in t2'])
    // history replayed after a restart brings the decisions back
    const restarted = engineWith([rule])
    restarted.restore(ev({ kind: 'authz_decision', agent_id: 'reader', task_id: 't9', authz_result: 'allow', ts: 6 }))
    expect((await feed(restarted, [ev({ kind: 'tool_invocation', agent_id: 'reader', task_id: 't10', ts: 7 })])).map((a) => a.summary)).toEqual(['reader in t10'])
  })
})

describe('credential registry', () => {
  it('catches a credential reused in another task, once per dedup window, counting repeats', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith(rulesFrom(CROSS_TASK), {}, telemetry)
    const alerts = await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'c1', task_id: 't1', ts: 1_000 }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't1', ts: 2_000 }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't2', ts: 3_000, event_id: 'x1' }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't3', ts: 4_000, event_id: 'x2' }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't2', ts: 3_000 + 600_000, event_id: 'x3' }),
    ])
    expect(alerts.map((a) => a.count)).toEqual([1, 2, 1])
    expect(alerts[0].alert_id).toBe(alertId('cred-reuse', 'c1', 3_000))
    expect(alerts[1].alert_id).toBe(alerts[0].alert_id)
    expect(alerts[1]).toMatchObject({ event_ids: ['x1', 'x2'], first_seen: 3_000, last_seen: 4_000, window_start: 3_000 })
    expect(alerts[2].alert_id).toBe(alertId('cred-reuse', 'c1', 603_000))
    expect(alerts[0]).toMatchObject({
      summary: 'reuse of c1 from t1 in t2', frameworks: ['owasp_nhi:NHI5'], tags: ['credential'], runbook: 'revoke it',
      severity: 'high', tenant_id: 'acme', task_id: 't2', updated_at: 42,
    })
    expect(await metricValue(telemetry, 'privpath_detector_alerts_raised_total', { rule: 'cred-reuse' })).toBe(2)
    expect(await metricValue(telemetry, 'privpath_detector_alert_updates_total')).toBe(1)
  })

  it('binds a credential to credential_task_id and records revocation and the end of its task', async () => {
    const [rule] = rulesFrom(`
id: after-end
title: t
severity: high
on: [credential_used]
when: credential.task_ended_at != null and event.ts > credential.task_ended_at and credential.revoked_at = null
summary: '"used after " & $string(credential.task_ended_at)'
`)
    const engine = engineWith([rule])
    const alerts = await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'c1', task_id: 'parent', credential_task_id: 'child', ts: 1 }),
      ev({ kind: 'task_end', task_id: 'parent', ts: 2 }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 'x', ts: 3 }),
      ev({ kind: 'task_end', task_id: 'child', ts: 4 }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 'x', ts: 5 }),
      ev({ kind: 'credential_revoked', credential_id: 'c1', task_id: 'child', ts: 6 }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 'y', ts: 7 }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['used after 4'])
    expect(engine.credential('', 'c1')).toMatchObject({ task_id: 'child', revoked_at: 6, used_in_tasks: ['x', 'y'], issued_at: 1 })
  })
})

describe('bounded memory', () => {
  it('evicts ended tasks after task_retention_ms and the oldest task beyond max_tasks', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith([], { task_retention_ms: 10_000, max_tasks: 3 }, telemetry)
    await feed(engine, [
      ev({ kind: 'task_start', task_id: 'a', ts: 0 }),
      ev({ kind: 'task_end', task_id: 'a', ts: 1_000 }),
      ev({ kind: 'task_start', task_id: 'b', ts: 2_000 }),
      ev({ kind: 'task_start', task_id: 'c', ts: 10_999 }),
    ])
    expect(engine.stats().tasks).toBe(3)
    // eviction runs on sweeps, at most one second of event time apart
    await feed(engine, [ev({ kind: 'prompt', task_id: 'c', ts: 12_000 })])
    expect(engine.stats().tasks).toBe(2)
    await feed(engine, [ev({ kind: 'task_start', task_id: 'd', ts: 12_001 }), ev({ kind: 'task_start', task_id: 'e', ts: 12_002 })])
    expect(engine.stats().tasks).toBe(3)
    expect(await metricValue(telemetry, 'privpath_detector_evictions_total', { what: 'task', reason: 'ended' })).toBe(1)
    expect(await metricValue(telemetry, 'privpath_detector_evictions_total', { what: 'task', reason: 'cap' })).toBe(1)
    expect(await metricValue(telemetry, 'privpath_detector_live_tasks')).toBe(3)
  })

  it('evicts credentials grace after expiry or revocation, and the oldest beyond max_credentials', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith([], { credential_grace_ms: 5_000, max_credentials: 2 }, telemetry)
    await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'exp', credential_expires_at: 1_000, ts: 0 }),
      ev({ kind: 'credential_issued', credential_id: 'rev', ts: 0 }),
      ev({ kind: 'credential_revoked', credential_id: 'rev', ts: 2_000 }),
    ])
    await feed(engine, [ev({ kind: 'prompt', ts: 6_000 })])
    // out of the live registry, still answered by its tombstone (state/tombstones.ts)
    expect(engine.stats().credentials).toBe(1)
    expect(engine.credential('', 'exp')).toMatchObject({ expires_at: 1_000 })
    expect(engine.credential('', 'rev')).not.toBeNull()
    await feed(engine, [ev({ kind: 'prompt', ts: 7_000 })])
    expect(engine.stats().credentials).toBe(0)
    expect(engine.credential('', 'rev')).toMatchObject({ revoked_at: 2_000 })
    await feed(engine, ['a', 'b', 'c'].map((id) => ev({ kind: 'credential_issued', credential_id: id, ts: 8_000 })))
    expect(engine.credential('', 'a')).toBeNull()
    expect(engine.stats().credentials).toBe(2)
    expect(await metricValue(telemetry, 'privpath_detector_evictions_total', { what: 'credential', reason: 'expired' })).toBe(2)
    expect(await metricValue(telemetry, 'privpath_detector_evictions_total', { what: 'credential', reason: 'cap' })).toBe(1)
    expect(await metricValue(telemetry, 'privpath_detector_registry_size')).toBe(2)
  })
})

describe('exceptions', () => {
  const withException = (expires: string) =>
    rulesFrom(`
id: any-tool
title: t
severity: low
on: [tool_invocation]
summary: event.tool_name
exceptions:
  - { name: ci, when: 'event.agent_id = "ci"', owner: platform, expires: '${expires}' }
`)

  it('suppresses matching firings until the exception expires (event time), counting them', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith(withException('2026-01-01T00:00:10Z'), {}, telemetry)
    const base = Date.parse('2026-01-01T00:00:00Z')
    const alerts = await feed(engine, [
      ev({ kind: 'tool_invocation', agent_id: 'ci', tool_name: 'a', task_id: 'x', ts: base }),
      ev({ kind: 'tool_invocation', agent_id: 'bob', tool_name: 'b', task_id: 'y', ts: base + 1 }),
      ev({ kind: 'tool_invocation', agent_id: 'ci', tool_name: 'c', task_id: 'z', ts: base + 10_000 }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['b', 'c'])
    expect(await metricValue(telemetry, 'privpath_detector_suppressed_total', { rule: 'any-tool', exception: 'ci' })).toBe(1)
  })
})

describe('rule errors', () => {
  it('counts a throwing rule and keeps evaluating the others', async () => {
    const telemetry = silentTelemetry()
    const rules = rulesFrom(`
- id: broken
  title: t
  severity: low
  on: [prompt]
  when: event.ts > "yesterday"
  summary: '"never"'
- id: broken-interpreted
  title: t
  severity: low
  on: [prompt]
  when: ($x := event.content; $number($x) > 1)
  summary: '"never"'
- id: fine
  title: t
  severity: low
  on: [prompt]
  summary: '"ok"'
`)
    const engine = engineWith(rules, {}, telemetry)
    const alerts = await feed(engine, [ev({ kind: 'prompt', ts: 1, content: 'abc' }), ev({ kind: 'prompt', ts: 2, task_id: 't2', content: 'x' })])
    expect(alerts.map((a) => a.rule_id)).toEqual(['fine', 'fine'])
    expect(await metricValue(telemetry, 'privpath_detector_rule_errors_total', { rule: 'broken', reason: 'error' })).toBe(2)
    expect(await metricValue(telemetry, 'privpath_detector_rule_errors_total', { rule: 'broken-interpreted', reason: 'error' })).toBe(2)
  })

  it('counts an interpreted expression that exceeds rule_timeout_ms as a timeout', async () => {
    const telemetry = silentTelemetry()
    const [rule] = rulesFrom(`
id: slow
title: t
severity: low
on: [prompt]
when: '$count([1..3000000].($string($) & "x")) > 0'
summary: '"slow"'
`.replace('when:', 'when:'))
    const slow = { ...rule }
    const { parseExpression } = await import('../../core/expression/index.js')
    slow.when = parseExpression(rule.when!.source, { timeoutMs: 5 })
    const engine = engineWith([slow], { rule_timeout_ms: 5 }, telemetry)
    expect(await feed(engine, [ev({ kind: 'prompt', ts: 1 })])).toEqual([])
    expect(await metricValue(telemetry, 'privpath_detector_rule_errors_total', { rule: 'slow', reason: 'timeout' })).toBe(1)
  })
})

describe('hot reload', () => {
  it('keeps task state, registry, windows and open alerts across replaceRules', async () => {
    const rules = rulesFrom(CROSS_TASK)
    const engine = engineWith(rules)
    const first = await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'c1', task_id: 't1', ts: 1 }),
      ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't2', ts: 2 }),
    ])
    engine.replaceRules(rulesFrom(CROSS_TASK.replace('title: reuse', 'title: reuse v2')))
    const second = await feed(engine, [ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't3', ts: 3 })])
    expect(second[0].alert_id).toBe(first[0].alert_id)
    expect(second[0].count).toBe(2)
    engine.replaceRules([])
    expect(await feed(engine, [ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't4', ts: 4 })])).toEqual([])
  })
})
