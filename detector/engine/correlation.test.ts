import { describe, expect, it } from 'vitest'
import { silentTelemetry } from '../../core/telemetry.js'
import { engineWith, ev, feed, metricValue, rulesFrom } from '../../testkit/detector.js'

const THRESHOLD = rulesFrom(`
id: denies
title: t
severity: medium
on: [authz_decision]
when: event.authz_result = "deny"
summary: '$string($count) & " denies for " & event.agent_id'
threshold: { count: 3, window: 10s, group_by: event.agent_id }
`)

describe('threshold', () => {
  it('fires when count events fall in a window ending at the event, bounds inclusive', async () => {
    const engine = engineWith(THRESHOLD)
    const deny = (ts: number, agent = 'a') => ev({ kind: 'authz_decision', authz_result: 'deny', agent_id: agent, ts })
    expect(await feed(engine, [deny(0), deny(5_000), deny(10_001)])).toEqual([])
    const alerts = await feed(engine, [deny(15_000)])
    expect(alerts.map((a) => a.summary)).toEqual(['3 denies for a'])
    expect(alerts[0].event_ids).toHaveLength(3)
    // events exactly `window` apart share a window: [15000, 25000] holds 15000, 20000 and 25000
    expect((await feed(engine, [deny(20_000), deny(25_000)])).map((a) => a.count)).toEqual([2, 3])
    // other groups and non-matching events do not count
    expect(await feed(engine, [deny(26_000, 'b'), ev({ kind: 'authz_decision', authz_result: 'allow', agent_id: 'b', ts: 26_001 })])).toEqual([])
  })

  it('counts an out-of-order event inside the lateness in the windows it falls in', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith(THRESHOLD, { allowed_lateness_ms: 30_000 }, telemetry)
    const deny = (ts: number) => ev({ kind: 'authz_decision', authz_result: 'deny', agent_id: 'a', ts })
    expect(await feed(engine, [deny(50_000), deny(58_000)])).toEqual([])
    const late = await feed(engine, [deny(49_000)])
    expect(late.map((a) => a.summary)).toEqual(['3 denies for a'])
    // beyond the lateness: counted as late, skipped by correlation rules
    expect(await feed(engine, [deny(100_000), deny(101_000), deny(60_000)])).toEqual([])
    expect(await metricValue(telemetry, 'privpath_detector_late_events_total')).toBe(1)
  })
})

const SEQUENCE = rulesFrom(`
id: issue-then-foreign-use
title: t
severity: high
summary: '"issued to " & $prev.credential_subject & ", used by " & event.agent_id & " after " & $string($count($steps)) & " steps"'
sequence:
  within: 1m
  steps:
    - { on: [credential_issued] }
    - { on: [tool_invocation], when: 'event.credential_id = $prev.credential_id and event.agent_id != $prev.credential_subject' }
`)

describe('sequence', () => {
  it('fires when the steps happen in order within the window, using $prev', async () => {
    const engine = engineWith(SEQUENCE)
    const alerts = await feed(engine, [
      ev({ kind: 'tool_invocation', credential_id: 'c1', agent_id: 'b', ts: 0 }),
      ev({ kind: 'credential_issued', credential_id: 'c1', credential_subject: 'a', ts: 1_000, event_id: 's1' }),
      ev({ kind: 'tool_invocation', credential_id: 'c1', agent_id: 'a', ts: 2_000 }),
      ev({ kind: 'tool_invocation', credential_id: 'c2', agent_id: 'b', ts: 3_000 }),
      ev({ kind: 'tool_invocation', credential_id: 'c1', agent_id: 'b', ts: 61_000, event_id: 's2' }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['issued to a, used by b after 2 steps'])
    expect(alerts[0].event_ids).toEqual(['s1', 's2'])
    expect(engineWith(SEQUENCE).stats().sequencePartials).toBe(0)
  })

  it('does not fire once the window has passed or for another key', async () => {
    const engine = engineWith(SEQUENCE)
    expect(
      await feed(engine, [
        ev({ kind: 'credential_issued', credential_id: 'c1', credential_subject: 'a', ts: 0 }),
        ev({ kind: 'tool_invocation', credential_id: 'c1', agent_id: 'b', task_id: 'other', ts: 1_000 }),
        ev({ kind: 'tool_invocation', credential_id: 'c1', agent_id: 'b', ts: 60_001 }),
      ]),
    ).toEqual([])
  })
})

const ABSENCE = rulesFrom(`
- id: no-approval
  title: t
  severity: high
  summary: '"no approval for " & $after.tool_name & " by " & $string(now)'
  absence:
    after: { on: [tool_invocation], when: '$glob(event.tool_name, ["pay.*"])' }
    expect: { on: [approval], when: 'event.approval_result = "granted" and event.approval_action = $after.tool_name' }
    within: 1m
- id: not-revoked
  title: t
  severity: medium
  summary: '"credential " & event.credential_id & " not revoked by the end of " & event.task_id'
  absence:
    after: { on: [credential_issued] }
    expect: { on: [credential_revoked], when: event.credential_id = $after.credential_id }
    until: task_end
`)

describe('absence', () => {
  it('fires when the watermark passes the deadline without the expected event', async () => {
    const engine = engineWith(ABSENCE)
    expect(
      await feed(engine, [
        ev({ kind: 'tool_invocation', tool_name: 'pay.send', ts: 0 }),
        ev({ kind: 'tool_invocation', tool_name: 'pay.refund', task_id: 't2', ts: 1_000 }),
        ev({ kind: 'approval', approval_result: 'granted', approval_action: 'pay.refund', task_id: 't2', ts: 30_000 }),
        ev({ kind: 'prompt', ts: 59_999 }),
      ]),
    ).toEqual([])
    const alerts = await feed(engine, [ev({ kind: 'prompt', ts: 60_000 })])
    expect(alerts.map((a) => a.summary)).toEqual(['no approval for pay.send by 60000'])
    expect(alerts[0]).toMatchObject({ task_id: 't1', first_seen: 60_000 })
    expect(engine.stats().pendingAbsences).toBe(0)
  })

  it('fires on the wall-clock tick when traffic stops, after the allowed lateness', async () => {
    const engine = engineWith(ABSENCE, { allowed_lateness_ms: 5_000 })
    await feed(engine, [ev({ kind: 'tool_invocation', tool_name: 'pay.send', ts: 1_000 })])
    expect(await engine.tick(65_999)).toEqual([])
    expect((await engine.tick(66_000)).map((a) => a.rule_id)).toEqual(['no-approval'])
  })

  it('until task_end fires at the task end unless the expected event came first', async () => {
    const engine = engineWith(ABSENCE)
    const alerts = await feed(engine, [
      ev({ kind: 'credential_issued', credential_id: 'c1', ts: 0 }),
      ev({ kind: 'credential_issued', credential_id: 'c2', ts: 1 }),
      ev({ kind: 'credential_issued', credential_id: 'c3', task_id: 't2', ts: 2 }),
      ev({ kind: 'credential_revoked', credential_id: 'c2', ts: 3 }),
      ev({ kind: 'task_end', ts: 4 }),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['credential c1 not revoked by the end of t1'])
    expect(engine.stats().pendingAbsences).toBe(1)
  })
})

describe('sequence with three steps', () => {
  const [rule] = rulesFrom(`
id: fetch-read-send
title: t
severity: high
summary: '$join($steps.tool_name, " > ")'
sequence:
  within: 10s
  steps:
    - { on: [tool_invocation], when: 'event.tool_name = "web.fetch"' }
    - { on: [tool_invocation], when: 'event.tool_name = "secrets.read"' }
    - { on: [tool_invocation], when: 'event.tool_name = "email.send" and event.ts - $steps[0].ts <= 10000' }
`)
  const call = (tool_name: string, ts: number, task_id = 't1') => ev({ kind: 'tool_invocation', tool_name, ts, task_id })

  it('keeps the most recent candidate per progress and measures the window from the first step', async () => {
    const engine = engineWith([rule])
    const alerts = await feed(engine, [
      call('web.fetch', 0),
      call('web.fetch', 5_000),
      call('secrets.read', 6_000),
      call('secrets.read', 6_000, 't2'),
      call('email.send', 14_000),
    ])
    expect(alerts.map((a) => a.summary)).toEqual(['web.fetch > secrets.read > email.send'])
    expect(alerts[0].first_seen).toBe(14_000)
    expect(engine.stats().sequencePartials).toBe(0)
  })

  it('does not fire past the window or out of order', async () => {
    const engine = engineWith([rule])
    expect(
      await feed(engine, [call('web.fetch', 0), call('email.send', 1_000), call('secrets.read', 2_000), call('email.send', 10_001)]),
    ).toEqual([])
  })
})
