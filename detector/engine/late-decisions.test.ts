import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../core/alert.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { engineWith, ev, feed, metricValue, rulesFrom } from '../../testkit/detector.js'

const ACTION_AFTER_DENY = rulesFrom(readFileSync(new URL('../../rules/action-after-deny.yaml', import.meta.url), 'utf8'))
const MINUTE = 60_000
const T = Date.parse('2026-12-01T10:00:00Z')

/** The latest version of each alert. */
function latest(alerts: Alert[]): Alert[] {
  return [...new Map(alerts.map((alert) => [alert.alert_id, alert])).values()]
}

describe('a deny that arrives after the call was judged', () => {
  it('raises action-after-deny naming the call and the decision', async () => {
    const engine = engineWith(ACTION_AFTER_DENY)
    const call = ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', agent_id: 'planner', ts: T, event_id: 'call' })
    // traffic of the domain moves time on: the call is judged without the deny
    expect(await feed(engine, [call, ev({ kind: 'reasoning_step', task_id: 't2', ts: T + 5 * MINUTE })])).toEqual([])
    const deny = ev({
      kind: 'authz_decision',
      authz_result: 'deny',
      authz_action: 'db.drop_table',
      authz_policy: 'authz/allow',
      authz_engine: 'opa',
      attributes: { 'opa.decision_id': 'd-17' },
      ts: T - 3,
      event_id: 'deny',
    })
    const [alert] = await feed(engine, [deny])
    expect(alert).toMatchObject({
      rule_id: 'action-after-deny',
      task_id: 't1',
      agent_id: 'planner',
      event_ids: ['call', 'deny'],
      first_seen: T,
      summary: 'tool db.drop_table ran in task t1 (agent planner) after the action db.drop_table was denied by policy authz/allow',
    })
    expect(alert.path).toBe('tool db.drop_table · deny by policy authz/allow arrived after the call was judged (decision d-17)')
  })

  it('judges only the calls dated at or after the deny, in its task', async () => {
    const engine = engineWith(ACTION_AFTER_DENY)
    await feed(engine, [
      ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', ts: T, event_id: 'before' }),
      ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', ts: T + 2_000, event_id: 'after' }),
      ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', task_id: 't2', ts: T + 2_000, event_id: 'other-task' }),
      ev({ kind: 'reasoning_step', task_id: 't3', ts: T + 5 * MINUTE }),
    ])
    const alerts = await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', ts: T + 1_000 })])
    expect(alerts.map((a) => [a.task_id, a.event_ids[0], a.count])).toEqual([['t1', 'after', 1]])
  })

  it('keeps the latest 64 judged calls of a task, and counts what it let go', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith(ACTION_AFTER_DENY, {}, telemetry)
    const calls = Array.from({ length: 70 }, (_, i) => ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', ts: T + i * 10_000 }))
    await feed(engine, [...calls, ev({ kind: 'reasoning_step', task_id: 't2', ts: T + 14 * MINUTE })])
    expect(await metricValue(telemetry, 'privpath_detector_judged_steps')).toBe(64)
    expect(await metricValue(telemetry, 'privpath_detector_evictions_total', { what: 'judged_step', reason: 'task_cap' })).toBe(6)
    const alerts = latest(await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', ts: T - 1 })]))
    // one alert per task, tool and 10-minute dedup window, each counting the calls judged again in it
    expect(alerts.reduce((sum, a) => sum + a.count, 0)).toBe(64)
  })

  it('forgets judged calls detector.authz_lateness_ms after judging them', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith(ACTION_AFTER_DENY, { authz_lateness_ms: 10 * MINUTE }, telemetry)
    await feed(engine, [ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', ts: T }), ev({ kind: 'reasoning_step', task_id: 't2', ts: T + MINUTE })])
    expect(await metricValue(telemetry, 'privpath_detector_judged_steps')).toBe(1)
    await feed(engine, [ev({ kind: 'tool_invocation', tool_name: 'web.fetch', task_id: 't2', ts: T + 11 * MINUTE }), ev({ kind: 'reasoning_step', task_id: 't2', ts: T + 12 * MINUTE })])
    // the first call was judged at T + 2 s: gone at T + 10 min 2 s; the second was judged since
    expect(await metricValue(telemetry, 'privpath_detector_judged_steps')).toBe(1)
    expect(await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', ts: T - 1 })])).toEqual([])
  })

  it('keeps nothing when detector.authz_lateness_ms is 0', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith(ACTION_AFTER_DENY, { authz_lateness_ms: 0 }, telemetry)
    await feed(engine, [ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', ts: T }), ev({ kind: 'reasoning_step', task_id: 't2', ts: T + MINUTE })])
    expect(await metricValue(telemetry, 'privpath_detector_judged_steps')).toBe(0)
    expect(await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', ts: T - 1 })])).toEqual([])
  })

  it("never judges another isolation domain's calls", async () => {
    const engine = engineWith(ACTION_AFTER_DENY)
    await feed(engine, [
      ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', domain: 'acme', ts: T }),
      ev({ kind: 'reasoning_step', domain: 'acme', task_id: 't2', ts: T + 5 * MINUTE }),
      ev({ kind: 'reasoning_step', domain: 'globex', task_id: 't2', ts: T + 5 * MINUTE }),
    ])
    expect(await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', domain: 'globex', ts: T - 1 })])).toEqual([])
    expect(await feed(engine, [ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', domain: 'acme', ts: T - 1 })])).toHaveLength(1)
  })
})
