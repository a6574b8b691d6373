import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Alert } from '../core/alert.js'
import { type CoreTopics, MemoryBus } from '../core/bus/index.js'
import type { PrivpathEvent } from '../core/event.js'
import { silentTelemetry } from '../core/telemetry.js'
import { DB, insertEvents, makeEvent, openTestStore, type TestStore } from '../testkit/store.js'
import { detectorConfig, type DetectorConfig } from './config.js'
import { DetectorEngine } from './engine/engine.js'
import { clickhouseHistory, clickhouseState, storeHistory, type HistoryOptions } from './history.js'
import { startDetector, type RunningDetector } from './service.js'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

const REUSE = `id: reuse
title: t
severity: high
on: [credential_used]
when: credential != null and credential.task_id != event.task_id
summary: '"reuse of " & event.credential_id & " in " & event.task_id'
`
const REVOKED_USE = `id: revoked-use
title: t
severity: high
on: [credential_used]
when: credential.revoked_at != null and event.ts > credential.revoked_at
summary: '"use of revoked " & event.credential_id'
`

let store: TestStore
let now: number
beforeAll(async () => {
  store = await openTestStore('privpath-detector-restore-')
})
afterAll(async () => {
  await store.destroy()
})
beforeEach(async () => {
  // each test reads the store as it finds it: start from an empty table
  await store.client.command({ query: `TRUNCATE TABLE ${DB}.events` })
  now = Date.now()
})

let running: RunningDetector | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

const at = (agoMs: number) => now - agoMs

function engine(config: Partial<DetectorConfig> = {}): DetectorEngine {
  return new DetectorEngine({ rules: [], config: detectorConfig(config), telemetry: silentTelemetry() })
}

async function restoreState(target: DetectorEngine, options: HistoryOptions): Promise<void> {
  for await (const page of clickhouseState(store.client, DB, options)()) for (const row of page) target.restore(row.event, row.task)
  target.restored()
}

describe('restart from the compact state', () => {
  it('still catches a live task’s credential reused in another task, and a credential revoked days ago replayed', async () => {
    await insertEvents(store.client, [
      makeEvent({ kind: 'task_start', task_id: 'live', ts: at(2 * MINUTE) }),
      makeEvent({ kind: 'credential_issued', task_id: 'live', credential_id: 'c-live', ts: at(MINUTE) }),
      makeEvent({ kind: 'credential_issued', task_id: 'old', credential_id: 'c-old', ts: at(3 * DAY) }),
      makeEvent({ kind: 'credential_revoked', task_id: 'old', credential_id: 'c-old', ts: at(3 * DAY - MINUTE) }),
    ])
    const dir = await mkdtemp(join(tmpdir(), 'detector-restore-'))
    await writeFile(join(dir, 'reuse.yaml'), REUSE)
    await writeFile(join(dir, 'revoked-use.yaml'), REVOKED_USE)
    const config = detectorConfig({ rules_dir: dir })
    const bus = new MemoryBus<CoreTopics>()
    const alerts: Alert[] = []
    await bus.subscribe('alerts', { group: 'test' }, async (messages) => {
      alerts.push(...messages.map((m) => m.value))
    })
    running = startDetector({ bus, config, telemetry: silentTelemetry(), watchRules: false, tickMs: 0, ...storeHistory(store.client, DB, config) })
    await running.ready
    await bus.publish('events', [
      { key: 'other', value: makeEvent({ kind: 'credential_used', task_id: 'other', credential_id: 'c-live', ts: now }) },
      { key: 'later', value: makeEvent({ kind: 'credential_used', task_id: 'later', credential_id: 'c-old', ts: now }) },
    ])
    expect(alerts.map((a) => a.summary).sort()).toEqual(['reuse of c-live in other', 'reuse of c-old in later', 'use of revoked c-old'])
  })

  it('holds the same task and credential state as whole events do', async () => {
    const task = (id: string, domain = '') => (e: Partial<PrivpathEvent> & Pick<PrivpathEvent, 'kind'>, ago: number) =>
      makeEvent({ task_id: id, domain, tenant_id: domain || 'acme', agent_id: 'agent-a', workload_id: 'spiffe://acme/wl', ...e, ts: at(ago) })
    const a = task('a')
    const b = task('b', 'acme')
    await insertEvents(store.client, [
      a({ kind: 'task_start' }, 20 * MINUTE),
      a({ kind: 'prompt', content: 'user: hi' }, 19 * MINUTE),
      a({ kind: 'reasoning_step' }, 19 * MINUTE - 1),
      a({ kind: 'credential_issued', credential_id: 'c1', credential_type: 'oauth', credential_issuer: 'idp', credential_subject: 'agent-a', credential_scopes: ['db:read', 'mail:send'], credential_expires_at: at(-MINUTE), credential_task_id: 'a' }, 18 * MINUTE),
      a({ kind: 'tool_invocation', tool_name: 'web.fetch', tool_call_id: 'call-1', target_resource: 'https://x.example', target_tenant: 'acme', tool_arguments: '{"u":1}', tool_result: 'big' }, 17 * MINUTE),
      a({ kind: 'credential_used', credential_id: 'c1' }, 16 * MINUTE),
      ...Array.from({ length: 40 }, (_, i) => a({ kind: 'authz_decision', authz_action: `act-${i % 5}`, authz_resource: 'orders', authz_result: i % 3 === 0 ? 'deny' : 'allow', authz_policy: 'p' }, 15 * MINUTE - i)),
      a({ kind: 'approval', approval_action: 'db.drop', approval_result: 'granted', approval_approver: 'dana' }, 14 * MINUTE),
      a({ kind: 'delegation', delegate_agent_id: 'agent-b', delegated_scopes: ['db:read'] }, 13 * MINUTE),
      a({ kind: 'other', agent_id: '', workload_id: 'spiffe://acme/other' }, 12 * MINUTE),
      b({ kind: 'credential_used', credential_id: 'c2', credential_task_id: 'b0' }, 11 * MINUTE),
      b({ kind: 'credential_issued', task_id: 'b0', credential_id: 'c2', credential_scopes: ['x'] }, 10 * MINUTE),
      b({ kind: 'credential_revoked', credential_id: 'c2' }, 9 * MINUTE),
      b({ kind: 'task_end' }, 8 * MINUTE),
    ])
    const options = { hours: 1 }
    const config = { untrusted_output_tools: ['web.*'] }
    const whole = engine(config)
    for await (const e of clickhouseHistory(store.client, DB, options)()) whole.restore(e)
    whole.restored()
    const compact = engine(config)
    await restoreState(compact, options)
    expect(compact.stateSizes()).toEqual(whole.stateSizes())
    for (const [domain, id] of [['', 'a'], ['acme', 'b'], ['acme', 'b0']]) expect(compact.task(domain, id)).toEqual(whole.task(domain, id))
    expect(compact.task('', 'a')?.authz.length).toBeGreaterThan(0)
    for (const [domain, id] of [['', 'c1'], ['acme', 'c2']]) expect(compact.credential(domain, id)).toEqual(whole.credential(domain, id))
  })

  it('holds the tasks the detector would still hold, judged in each domain’s own time; the rest feeds only the registry', async () => {
    await insertEvents(store.client, [
      makeEvent({ kind: 'task_start', domain: 'acme', task_id: 'fresh', ts: at(MINUTE) }),
      makeEvent({ kind: 'credential_issued', domain: 'acme', task_id: 'stale', credential_id: 'c-stale', ts: at(2 * 60 * MINUTE) }),
      makeEvent({ kind: 'authz_decision', domain: 'acme', task_id: 'stale', agent_id: 'gated', authz_result: 'allow', ts: at(2 * 60 * MINUTE) }),
      makeEvent({ kind: 'task_end', domain: 'acme', task_id: 'ended-recently', ts: at(5 * MINUTE) }),
      makeEvent({ kind: 'credential_issued', domain: 'acme', task_id: 'ended-long-ago', credential_id: 'c-ended', ts: at(50 * MINUTE) }),
      makeEvent({ kind: 'task_end', domain: 'acme', task_id: 'ended-long-ago', ts: at(40 * MINUTE) }),
      // a domain idle for hours: its tasks are judged against its own newest event
      makeEvent({ kind: 'task_start', domain: 'globex', tenant_id: 'globex', task_id: 'idle-domain', ts: at(3 * 60 * MINUTE + 10 * MINUTE) }),
      makeEvent({ kind: 'prompt', domain: 'globex', tenant_id: 'globex', task_id: 'newest', ts: at(3 * 60 * MINUTE) }),
    ])
    const target = engine()
    await restoreState(target, { inactivityMs: 30 * MINUTE, retentionMs: 15 * MINUTE })
    expect({
      fresh: target.hasTask('fresh', 'acme'),
      stale: target.hasTask('stale', 'acme'),
      endedRecently: target.hasTask('ended-recently', 'acme'),
      endedLongAgo: target.hasTask('ended-long-ago', 'acme'),
      idleDomain: target.hasTask('idle-domain', 'globex'),
    }).toEqual({ fresh: true, stale: false, endedRecently: true, endedLongAgo: false, idleDomain: true })
    expect(target.credential('acme', 'c-stale')).toMatchObject({ task_id: 'stale' })
    expect(target.credential('acme', 'c-ended')).toMatchObject({ task_ended_at: at(40 * MINUTE) })
    expect(target.stateSizes().agents).toBe(1)
  })

  it('restores nothing from an empty store', async () => {
    const target = engine()
    await restoreState(target, { inactivityMs: 30 * MINUTE, retentionMs: 15 * MINUTE, maxTasks: 10 })
    expect(target.stats()).toMatchObject({ domains: 0, tasks: 0, credentials: 0 })
  })

  it('reads pages of whole tasks, each task’s rows oldest first, every row once', async () => {
    const counts: Record<string, number> = { t1: 2, t2: 5, t3: 1, t4: 2 }
    await insertEvents(store.client, Object.entries(counts).flatMap(([task, n]) =>
      Array.from({ length: n }, (_, i) => makeEvent({ kind: 'prompt', task_id: task, ts: at(10 * MINUTE - i * 1_000) }))))
    const pages: Array<Array<{ task: string; ts: number }>> = []
    for await (const page of clickhouseState(store.client, DB, { pageRows: 3 })()) pages.push([...page].map((r) => ({ task: r.event.task_id, ts: r.event.ts })))
    expect(pages.length).toBeGreaterThan(1)
    expect(pages.flat()).toHaveLength(10)
    for (const [task, n] of Object.entries(counts)) {
      const holding = pages.filter((p) => p.some((r) => r.task === task))
      expect(holding).toHaveLength(1)
      const times = holding[0].filter((r) => r.task === task).map((r) => r.ts)
      expect(times).toHaveLength(n)
      expect(times).toEqual([...times].sort((x, y) => x - y))
    }
  })

  it('holds at most max_tasks per domain, the most recently active, and leaves them least recently active first', async () => {
    // key order a, b, c; activity the other way round
    await insertEvents(store.client, [
      makeEvent({ kind: 'task_start', task_id: 'a', ts: at(MINUTE) }),
      makeEvent({ kind: 'task_start', task_id: 'b', ts: at(2 * MINUTE) }),
      makeEvent({ kind: 'task_start', task_id: 'c', ts: at(3 * MINUTE) }),
    ])
    const target = engine({ max_tasks: 2 })
    await restoreState(target, { maxTasks: 2 })
    expect(['a', 'b', 'c'].map((t) => target.hasTask(t))).toEqual([true, true, false])
    await target.process(makeEvent({ kind: 'task_start', task_id: 'd', ts: now }))
    expect(['a', 'b', 'd'].map((t) => target.hasTask(t))).toEqual([true, false, true])
  })
})
