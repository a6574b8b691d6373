import { beforeAll, describe, expect, it } from 'vitest'
import type { PrivpathEvent } from '../../core/event.js'
import { engineWith, ev, feed, rulesFrom } from '../../testkit/detector.js'
import { evaluation } from '../../testkit/decision.js'
import type { DetectorEngine } from '../engine/engine.js'
import { loadRules, resolveRulesDirs } from '../rules/load.js'
import type { Rule } from '../rules/types.js'
import { Decider, type DecisionSettings, type PolicyEvaluator } from './decide.js'
import { SpanWaits } from './freshness.js'
import type { PolicyInput } from './policy-input.js'

const NOW = 1_800_000_000_000
const ENFORCE: DecisionSettings = { mode: 'enforce', wait_ms: 0, on_stale: 'deny' }
let pack: Rule[]

beforeAll(async () => {
  const set = await loadRules(resolveRulesDirs(''), { timeoutMs: 50 })
  expect(set.errors).toEqual([])
  pack = set.rules
})

function decider(engine: DetectorEngine, settings = ENFORCE, policies: PolicyEvaluator | null = null) {
  const recorded: PrivpathEvent[] = []
  const d = new Decider({
    settings,
    state: () => engine,
    policies: () => policies,
    waits: new SpanWaits((domain, span) => engine.processedSpan(domain, span)),
    record: (event) => recorded.push(event),
    clock: () => NOW,
  })
  return { d, recorded }
}

const caller = { tenant: '', authenticated: false }
const at = (ms: number) => NOW - 60_000 + ms

describe('Decider with the built-in pack', () => {
  it('denies a tool another engine denied in the task, until an allow overturns it', async () => {
    const engine = engineWith(pack)
    await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', authz_engine: 'opa', authz_policy: 'no-ddl', ts: at(0) })])
    const { d, recorded } = decider(engine)
    const denied = await d.decide(evaluation({ tool: 'db.drop_table', taskId: 't1' }) as never, caller)
    expect(denied.response.decision).toBe(false)
    expect(denied.response.context.reason_admin.rules.map((r) => r.id)).toEqual(['action-after-deny'])
    expect(recorded[0]).toMatchObject({ kind: 'authz_decision', authz_result: 'deny', authz_engine: 'privpath', task_id: 't1', ts: at(0) })
    // the recorded decision is the step's decision in the task once the detector folds it in
    await feed(engine, recorded)
    expect(engine.liveTask('', 't1')?.authz.at(-1)).toMatchObject({ action: 'db.drop_table', result: 'deny', engine: 'privpath', policy: 'action-after-deny' })
    await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'allow', authz_action: 'db.drop_table', authz_engine: 'opa', ts: at(10) })])
    expect((await d.decide(evaluation({ tool: 'db.drop_table', taskId: 't1' }) as never, caller)).response.decision).toBe(true)
  })

  it('denies presenting a revoked, an expired, or an ended task’s credential, and allows a live one', async () => {
    const engine = engineWith(pack)
    await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'live', credential_expires_at: NOW + 600_000, ts: at(0) }),
      ev({ kind: 'credential_issued', credential_id: 'revoked', ts: at(1) }),
      ev({ kind: 'credential_revoked', credential_id: 'revoked', ts: at(2) }),
      ev({ kind: 'credential_issued', credential_id: 'expired', credential_expires_at: at(3), ts: at(3) }),
      ev({ kind: 'credential_issued', credential_id: 'other-task', task_id: 't0', ts: at(4) }),
      ev({ kind: 'task_end', task_id: 't0', ts: at(5) }),
    ])
    const { d } = decider(engine)
    const ask = async (credentialId: string) => (await d.decide(evaluation({ tool: 'crm.read', taskId: 't1', credentialId }) as never, caller)).response
    expect((await ask('live')).context.reason_admin.rules).toEqual([])
    expect((await ask('live')).decision).toBe(true)
    expect((await ask('revoked')).context.reason_admin.rules.map((r) => r.id)).toEqual(['credential-used-after-revocation'])
    expect((await ask('expired')).context.reason_admin.rules.map((r) => r.id)).toEqual(['credential-used-after-expiry'])
    const ended = await ask('other-task')
    expect(ended.decision).toBe(false)
    expect(ended.context.reason_admin.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['credential-used-after-task-end', 'credential-reused-beyond-task']))
    expect(ended.context.reason_admin.rules.find((r) => r.id === 'credential-reused-beyond-task')?.enforce).toBe('warn')
  })

  it('changes no state: the task, its counts and the detector’s statistics stay as they were', async () => {
    const engine = engineWith(pack)
    await feed(engine, [ev({ kind: 'prompt', content: 'user: pay the bill', ts: at(0) })])
    const before = JSON.stringify({ task: engine.liveTask('', 't1'), stats: engine.stats() })
    const { d } = decider(engine)
    await d.decide(evaluation({ tool: 'crm.update', taskId: 't1', targetTenant: 'globex', credentialId: 'c9', arguments: { to: 'x@evil.example' } }) as never, caller)
    expect(JSON.stringify({ task: engine.liveTask('', 't1'), stats: engine.stats() })).toBe(before)
  })
})

describe('modes and policies', () => {
  const rules = () =>
    rulesFrom(`
id: no-prod
title: No production writes
severity: high
on: [tool_invocation]
enforce: deny
enforce_mode: shadow
when: event.target_resource = "prod"
summary: '"write to prod"'
`)

  it('a rule in shadow mode decides and records, but the answer is allow', async () => {
    const engine = engineWith(rules())
    const { d, recorded } = decider(engine)
    const res = (await d.decide({ ...evaluation({ tool: 'db.write', taskId: 't1' }), resource: { type: 'tool', id: 'db.write', properties: { target_resource: 'prod' } } } as never, caller)).response
    expect(res).toMatchObject({ decision: true, context: { mode: 'shadow', reason_admin: { verdict: 'deny', rules: [{ id: 'no-prod', mode: 'shadow' }] } } })
    // neither an allow (it would overturn another engine's deny) nor a deny (the call was let through)
    expect(recorded[0].authz_result).toBe('')
    expect(recorded[0].attributes['privpath.decision.verdict']).toBe('deny')
  })

  it('a policy deny denies; the policy sees the privilege path', async () => {
    const engine = engineWith([])
    await feed(engine, [ev({ kind: 'tool_invocation', tool_name: 'web.fetch', tool_result: 'hello', ts: at(0) })])
    const inputs: PolicyInput[] = []
    const policies: PolicyEvaluator = {
      evaluate: (input) => {
        inputs.push(input)
        return { denials: input.context.untrusted_content_seen ? [{ id: 'no-after-web', mode: 'enforce', reason: 'untrusted content was read' }] : [], errors: [] }
      },
    }
    const { d } = decider(engine, ENFORCE, policies)
    const res = (await d.decide(evaluation({ tool: 'email.send', taskId: 't1' }) as never, caller)).response
    expect(res).toMatchObject({ decision: false, context: { reason_admin: { policies: [{ id: 'no-after-web' }] } } })
    expect(res.context.reason_user.en).toBe('email.send was denied by policy: untrusted content was read.')
    expect(inputs[0]).toMatchObject({ principal: { id: 'assistant' }, action: 'email.send', context: { task_id: 't1', untrusted_content_seen: true, has_credential: false } })
  })

  it('global shadow mode answers allow to every deny, stale ones included', async () => {
    const engine = engineWith(pack)
    const { d } = decider(engine, { ...ENFORCE, mode: 'shadow' })
    const res = (await d.decide(evaluation({ tool: 'crm.update', taskId: 't1', targetTenant: 'globex', afterSpanId: 'never' }) as never, caller)).response
    expect(res).toMatchObject({ decision: true, context: { mode: 'shadow', reason_admin: { verdict: 'deny', stale: true } } })
  })
})

describe('rule files', () => {
  it('refuse enforce on a correlation rule or on kinds a proposed call never becomes', () => {
    expect(() => rulesFrom(`
id: x
title: X
severity: low
enforce: deny
on: [tool_invocation]
threshold: { count: 2, window: 1m }
summary: '"x"'
`)).toThrow('enforce: only a plain rule can decide a proposed call (this one has threshold)')
    expect(() => rulesFrom(`
id: y
title: Y
severity: low
enforce: warn
on: [delegation]
summary: '"y"'
`)).toThrow('enforce: the rule must be on tool_invocation or credential_used to decide a proposed call (it is on delegation)')
  })
})
