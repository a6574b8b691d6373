import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentTelemetry } from '../core/telemetry.js'
import { DB, insertEvents, makeEvent, openTestStore, type TestStore } from '../testkit/store.js'
import { detectorConfig } from './config.js'
import { DetectorEngine } from './engine/engine.js'
import { clickhouseHistory } from './history.js'
import { parseRuleText } from './rules/load.js'

let store: TestStore
beforeAll(async () => {
  store = await openTestStore('privpath-detector-history-')
})
afterAll(async () => {
  await store.destroy()
})

describe('clickhouseHistory', () => {
  it('returns credential events, task ends and every event of open tasks, oldest first, without duplicates', async () => {
    const now = Date.now()
    const old = now - 48 * 3_600_000
    const events = [
      makeEvent({ kind: 'task_start', task_id: 'done', ts: now - 60_000, event_id: 'd1' }),
      makeEvent({ kind: 'credential_issued', task_id: 'done', credential_id: 'c-done', ts: now - 59_000, event_id: 'd2', credential_scopes: ['db:read'] }),
      makeEvent({ kind: 'prompt', task_id: 'done', ts: now - 58_000, event_id: 'd3' }),
      makeEvent({ kind: 'task_end', task_id: 'done', ts: now - 57_000, event_id: 'd4' }),
      makeEvent({ kind: 'task_start', task_id: 'open', ts: now - 30_000, event_id: 'o1' }),
      makeEvent({ kind: 'tool_invocation', task_id: 'open', tool_name: 'db.query', ts: now - 29_000, event_id: 'o2' }),
      makeEvent({ kind: 'credential_issued', task_id: 'stale', credential_id: 'c-old', ts: old, event_id: 's1' }),
    ]
    await insertEvents(store.client, events)
    await insertEvents(store.client, [events[5]])
    const loaded = []
    for await (const e of clickhouseHistory(store.client, DB, { hours: 24 })()) loaded.push(e)
    expect(loaded.map((e) => e.event_id)).toEqual(['d2', 'd4', 'o1', 'o2'])
    expect(loaded[0]).toMatchObject({ credential_id: 'c-done', credential_scopes: ['db:read'], ts: now - 59_000 })
  })

  it('rebuilds state from which a credential reused after the restart is caught', async () => {
    const [rule] = parseRuleText('r.yaml', `id: reuse
title: t
severity: high
on: [credential_used]
when: credential != null and credential.task_id != event.task_id and credential.task_ended_at != null
summary: '"reuse of " & event.credential_id'
`).rules
    const engine = new DetectorEngine({ rules: [rule], config: detectorConfig(), telemetry: silentTelemetry() })
    for await (const e of clickhouseHistory(store.client, DB)()) engine.restore(e)
    expect(engine.stats()).toMatchObject({ credentials: 1 })
    const alerts = await engine.process(makeEvent({ kind: 'credential_used', task_id: 'later', credential_id: 'c-done', ts: Date.now() }))
    expect(alerts.map((a) => a.summary)).toEqual(['reuse of c-done'])
  })

  it('keeps events of two tenants that carry the same event id (one tenant cannot hide another\'s)', async () => {
    const now = Date.now()
    const shared = 'same-trace.same-span.0.000.credential_issued'
    await insertEvents(store.client, [
      makeEvent({ kind: 'credential_issued', tenant_id: 'acme', task_id: 'ta', credential_id: 'c-acme', ts: now - 10_000, event_id: shared }),
      makeEvent({ kind: 'credential_issued', tenant_id: 'initech', task_id: 'ti', credential_id: 'c-initech', ts: now - 10_000, event_id: shared }),
    ])
    const loaded = []
    for await (const e of clickhouseHistory(store.client, DB, { hours: 1 })()) if (e.event_id === shared) loaded.push(e)
    expect(loaded.map((e) => e.credential_id).sort()).toEqual(['c-acme', 'c-initech'])
  })

  it('reads issues and revocations over the tombstone window, in their domains, so a revoked credential replayed days later still alerts', async () => {
    const now = Date.now()
    const days = (n: number) => now - n * 24 * 3_600_000
    await insertEvents(store.client, [
      makeEvent({ kind: 'credential_issued', tenant_id: 'acme', domain: 'acme', task_id: 'tomb', credential_id: 'c-tomb', ts: days(3), event_id: 't1', credential_expires_at: days(2) }),
      makeEvent({ kind: 'credential_revoked', tenant_id: 'acme', domain: 'acme', task_id: 'tomb', credential_id: 'c-tomb', ts: days(3) + 60_000, event_id: 't2' }),
      makeEvent({ kind: 'credential_used', tenant_id: 'acme', domain: 'acme', task_id: 'tomb', credential_id: 'c-tomb', ts: days(3) + 30_000, event_id: 't3' }),
    ])
    const ids = async (options: Parameters<typeof clickhouseHistory>[2]) => {
      const loaded: string[] = []
      for await (const e of clickhouseHistory(store.client, DB, options)()) if (e.task_id === 'tomb') loaded.push(`${e.domain}:${e.event_id}`)
      return loaded
    }
    expect(await ids({ hours: 24 })).toEqual([])
    expect(await ids({ hours: 24, tombstoneHours: 7 * 24 })).toEqual(['acme:t1', 'acme:t2'])
    const [rule] = parseRuleText('r.yaml', `id: revoked-use
title: t
severity: high
on: [credential_used]
when: credential.revoked_at != null and event.ts > credential.revoked_at
summary: '"use of revoked " & event.credential_id'
`).rules
    const engine = new DetectorEngine({ rules: [rule], config: detectorConfig(), telemetry: silentTelemetry() })
    for await (const e of clickhouseHistory(store.client, DB, { tombstoneHours: 7 * 24 })()) engine.restore(e)
    const replay = makeEvent({ kind: 'credential_used', tenant_id: 'acme', domain: 'acme', task_id: 'later', credential_id: 'c-tomb', ts: now })
    expect((await engine.process(replay)).map((a) => a.summary)).toEqual(['use of revoked c-tomb'])
    // another tenant's use of the same id is its own credential, unknown to it
    expect(await engine.process({ ...replay, tenant_id: 'globex', domain: 'globex', event_id: 'g' })).toEqual([])
  })
})
