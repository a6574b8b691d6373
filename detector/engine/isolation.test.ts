/**
 * Isolation domains and time: what one tenant key sends never changes what another key's tenant
 * is alerted about (a metamorphic property over random streams that reuse every id), and a task
 * that arrives late as a whole is judged as if it had arrived live.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../core/alert.js'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { detectorConfig, type DetectorConfig } from '../config.js'
import { loadRules } from '../rules/load.js'
import { activity, interleave, type TaskPlan } from '../../testkit/streams.js'
import { DetectorEngine } from './engine.js'

const pack = await loadRules('rules')
const BASE = Date.parse('2026-12-01T10:00:00Z')

function engine(config: Partial<DetectorConfig> = {}): DetectorEngine {
  return new DetectorEngine({ rules: pack.rules, config: detectorConfig(config), telemetry: silentTelemetry(), clock: () => 7 })
}

/** A tenant's tasks as the collector would publish them, in time order. */
function events(plans: TaskPlan[], tenant: string, domain: string, base = BASE): PrivpathEvent[] {
  const out: PrivpathEvent[] = []
  for (const [n, plan] of plans.entries()) {
    let ts = base + plan.startMs
    const common = { tenant_id: tenant, domain, task_id: plan.taskId, trace_id: `trace-${plan.taskId}`, agent_id: plan.agentId }
    const event = (kind: PrivpathEvent['kind'], i: number, fields: Partial<PrivpathEvent> = {}): PrivpathEvent => ({
      ...emptyEvent(), ...common, kind, ts, seq: 0, event_id: `${plan.taskId}.${n}.${i}.${kind}`, span_id: `${n}-${i}`, ...fields,
    })
    out.push(event('task_start', 0))
    plan.steps.forEach((step, i) => {
      ts += step.gapMs
      switch (step.kind) {
        case 'tool':
          out.push(event('tool_invocation', i + 1, { tool_name: step.tool, target_tenant: step.targetTenant, credential_id: step.credentialId, status: step.error ? 'error' : 'ok' }))
          break
        case 'authz':
          out.push(event('authz_decision', i + 1, { authz_result: step.result, authz_action: step.action }))
          break
        case 'approval':
          out.push(event('approval', i + 1, { approval_result: step.result, approval_action: step.action }))
          break
        case 'credential':
          out.push(event(`credential_${step.op}`, i + 1, { credential_id: step.credentialId, credential_expires_at: step.op === 'issued' ? ts + step.ttlS * 1000 : null, credential_scopes: ['crm:read'] }))
          break
        case 'delegation':
          out.push(event('delegation', i + 1, { delegate_agent_id: step.to, delegated_scopes: step.scopes }))
          break
      }
    })
    if (plan.ends) out.push(event('task_end', plan.steps.length + 1, { ts: ts + 1 }))
  }
  return out.sort((a, b) => a.ts - b.ts)
}

/** Every alert's final version, by id, without the wall-clock field. */
async function alertsOf(run: DetectorEngine, stream: PrivpathEvent[], tenant: string): Promise<Map<string, Omit<Alert, 'updated_at'>>> {
  const latest = new Map<string, Omit<Alert, 'updated_at'>>()
  const keep = (alerts: Alert[]) => {
    for (const { updated_at: _, ...alert } of alerts) if (alert.tenant_id === tenant) latest.set(alert.alert_id, alert)
  }
  for (const event of stream) keep(await run.process(event))
  keep(await run.advance(Number.MAX_SAFE_INTEGER))
  return latest
}

describe('isolation domains', () => {
  it("a tenant's alerts are the same with another tenant's colliding traffic interleaved", async () => {
    await fc.assert(
      fc.asyncProperty(activity, activity, fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }), fc.integer({ min: -60_000, max: 60_000 }), async (a, b, choices, skew) => {
        const acme = events(a, 'acme', 'acme')
        // globex reuses acme's task, credential, agent, trace and event ids, and its clock may run off
        const globex = events(b, 'globex', 'globex', BASE + skew)
        const alone = await alertsOf(engine(), acme, 'acme')
        const mixed = await alertsOf(engine(), interleave(acme, globex, choices), 'acme')
        expect(mixed).toEqual(alone)
      }),
      { numRuns: 150 },
    )
  })

  it('the same stream without keys (one domain) does mix: the property is not vacuous', async () => {
    const task: TaskPlan = { taskId: 't-1', agentId: 'planner', startMs: 0, ends: false, steps: [{ kind: 'credential', op: 'issued', credentialId: 'cred-1', ttlS: 900, gapMs: 1 }] }
    const use: TaskPlan = { taskId: 't-2', agentId: 'planner', startMs: 5_000, ends: false, steps: [{ kind: 'credential', op: 'used', credentialId: 'cred-1', ttlS: 900, gapMs: 1 }] }
    const crossing = await alertsOf(engine(), [...events([task], 'acme', ''), ...events([use], 'globex', '')], 'globex')
    expect([...crossing.values()].map((a) => a.rule_id)).toContain('credential-reused-beyond-task')
    const isolated = await alertsOf(engine(), [...events([task], 'acme', 'acme'), ...events([use], 'globex', 'globex')], 'globex')
    expect([...isolated.values()].map((a) => a.rule_id)).not.toContain('credential-reused-beyond-task')
  })

  it("one domain's flood of tasks does not evict another's (caps are per domain)", async () => {
    const run = engine({ max_tasks: 3 })
    await run.process({ ...emptyEvent(), kind: 'task_start', task_id: 'keep', tenant_id: 'acme', domain: 'acme', ts: BASE, event_id: 'k' })
    for (let i = 0; i < 10; i++) {
      await run.process({ ...emptyEvent(), kind: 'task_start', task_id: `flood-${i}`, tenant_id: 'globex', domain: 'globex', ts: BASE + i, event_id: `f${i}` })
    }
    expect(run.hasTask('keep', 'acme')).toBe(true)
    expect(run.hasTask('flood-0', 'globex')).toBe(false)
  })
})

describe('time', () => {
  /** A privileged call steered by untrusted content (sequence), without an allow (absence), after a deny (held). */
  const risky: TaskPlan = {
    taskId: 'late-task', agentId: 'planner', startMs: 0, ends: true,
    steps: [
      { kind: 'authz', result: 'deny', action: 'db.query', gapMs: 10 },
      { kind: 'tool', tool: 'db.query', targetTenant: 'globex', credentialId: '', error: false, gapMs: 500 },
      { kind: 'credential', op: 'issued', credentialId: 'cred-late', ttlS: 60, gapMs: 100 },
      { kind: 'tool', tool: 'payments.transfer', targetTenant: '', credentialId: 'cred-late', error: false, gapMs: 200 },
      { kind: 'tool', tool: 'iam.attach_policy', targetTenant: '', credentialId: 'cred-late', error: false, gapMs: 200 },
      // a repeat folds into the same alert (dedup window) however late the task arrives
      { kind: 'tool', tool: 'db.query', targetTenant: 'globex', credentialId: '', error: false, gapMs: 5_000 },
    ],
  }
  const live = (from: number, count: number): PrivpathEvent[] =>
    Array.from({ length: count }, (_, i) => ({ ...emptyEvent(), kind: 'prompt' as const, task_id: `live-${i % 7}`, tenant_id: 'acme', domain: 'acme', ts: from + i * 1_000, event_id: `live-${i}` }))

  it('a whole task replayed an hour behind live traffic raises the same alerts as when sent live', async () => {
    const sentLive = await alertsOf(engine(), events([risky], 'acme', 'acme'), 'acme')
    expect(sentLive.size).toBeGreaterThanOrEqual(3)
    expect(Math.max(...[...sentLive.values()].map((a) => a.count))).toBe(2)
    const hourAgo = BASE - 3_600_000
    const late = events([risky], 'acme', 'acme', hourAgo)
    const traffic = live(BASE, 120)
    // the late task's events arrive one every second among live events an hour newer
    const stream = interleave(traffic, late, traffic.map((_, i) => i % 10 !== 0))
    const replayed = [...(await alertsOf(engine(), stream, 'acme')).values()].filter((a) => a.task_id === 'late-task')
    const shift = (a: Omit<Alert, 'updated_at'>) => ({ rule: a.rule_id, count: a.count, summary: a.summary.replaceAll(String(hourAgo), 'T'), events: a.event_ids })
    const expected = [...(await alertsOf(engine(), events([risky], 'acme', 'acme', hourAgo), 'acme')).values()]
    expect(replayed.map(shift).sort((x, y) => x.rule.localeCompare(y.rule))).toEqual(expected.map(shift).sort((x, y) => x.rule.localeCompare(y.rule)))
    expect(replayed.map((a) => a.rule_id).sort()).toEqual([...sentLive.values()].map((a) => a.rule_id).sort())
  })

  it("a span far in the future in one domain changes nothing in another's", async () => {
    const acme = events([risky], 'acme', 'acme')
    const alone = await alertsOf(engine(), acme, 'acme')
    const future = { ...emptyEvent(), kind: 'prompt' as const, task_id: 'x', tenant_id: 'globex', domain: 'globex', ts: Date.parse('2100-01-01T00:00:00Z'), event_id: 'future' }
    expect(await alertsOf(engine(), [future, ...acme], 'acme')).toEqual(alone)
  })

  it('held steps are judged on the wall-clock tick when traffic stops', async () => {
    const run = engine()
    const deny = { ...emptyEvent(), kind: 'authz_decision' as const, authz_result: 'deny' as const, authz_action: 'db.drop', task_id: 't', tenant_id: 'acme', domain: 'acme', ts: BASE, event_id: 'd' }
    const call = { ...deny, kind: 'tool_invocation' as const, authz_result: '' as const, authz_action: '', tool_name: 'db.drop', ts: BASE + 100, event_id: 'c' }
    expect(await run.process(deny)).toEqual([])
    expect(await run.process(call)).toEqual([])
    // the hold (2 s) and the allowed lateness (30 s) have not passed in the domain's time yet
    expect(await run.tick(BASE + 100 + 31_000)).toEqual([])
    expect((await run.tick(BASE + 100 + 2_000 + 30_000)).map((a) => a.rule_id)).toEqual(['action-after-deny'])
  })

  it('a task that never ends leaves state after task_inactivity_ms, counted', async () => {
    const run = engine({ task_inactivity_ms: 60_000 })
    await run.process({ ...emptyEvent(), kind: 'task_start', task_id: 'quiet', tenant_id: 'acme', domain: 'acme', ts: BASE, event_id: 'q' })
    await run.process({ ...emptyEvent(), kind: 'prompt', task_id: 'busy', tenant_id: 'acme', domain: 'acme', ts: BASE + 59_000, event_id: 'b1' })
    expect(run.hasTask('quiet', 'acme')).toBe(true)
    await run.process({ ...emptyEvent(), kind: 'prompt', task_id: 'busy', tenant_id: 'acme', domain: 'acme', ts: BASE + 61_500, event_id: 'b2' })
    expect(run.hasTask('quiet', 'acme')).toBe(false)
    expect(run.hasTask('busy', 'acme')).toBe(true)
  })
})
