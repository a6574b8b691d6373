import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPrivpathError } from '../../core/errors.js'
import { BASE_TS, DB, insertAlerts, insertEvents, makeAlert, makeEvent, openTestStore, type TestStore } from '../../testkit/store.js'
import { recordLoadedRules } from '../../core/store/rules.js'
import { getCredential, getTask, listAlerts, listRules, listTasks } from './index.js'

const admin = { tenant: '*' }
const acme = { tenant: 'acme' }
const globex = { tenant: 'globex' }
const T0 = Date.now() - 3_600_000
let store: TestStore

beforeAll(async () => {
  store = await openTestStore('privpath-queries-')
  await insertEvents(store.client, [
    // acme/t1: events inserted out of order; two share a ts and are ordered by seq.
    makeEvent({ kind: 'task_end', task_id: 't1', ts: T0 + 40, span_id: 'root', seq: 1 }),
    makeEvent({ kind: 'tool_invocation', task_id: 't1', ts: T0 + 20.002, span_id: 'tool', seq: 0, tool_name: 'crm.read', agent_id: 'planner', target_tenant: 'globex', status: 'error' }),
    makeEvent({ kind: 'credential_used', task_id: 't1', ts: T0 + 20.002, span_id: 'tool', seq: 1, credential_id: 'cred-1' }),
    makeEvent({ kind: 'prompt', task_id: 't1', ts: T0 + 10.001, span_id: 'p', agent_id: 'planner' }),
    makeEvent({ kind: 'credential_issued', task_id: 't1', ts: T0 + 5, span_id: 'iss', credential_id: 'cred-1', credential_type: 'oauth2', credential_issuer: 'idp', credential_subject: 'svc', credential_scopes: ['crm:read', 'crm:write'], credential_expires_at: T0 + 900_000 }),
    makeEvent({ kind: 'task_start', task_id: 't1', ts: T0, span_id: 'root' }),
    // acme/t2: later, still running, reuses cred-1 twice.
    makeEvent({ kind: 'task_start', task_id: 't2', ts: T0 + 1_000, span_id: 'root2' }),
    makeEvent({ kind: 'credential_used', task_id: 't2', ts: T0 + 1_100, span_id: 'u1', credential_id: 'cred-1' }),
    makeEvent({ kind: 'credential_used', task_id: 't2', ts: T0 + 1_200, span_id: 'u2', credential_id: 'cred-1' }),
    // globex/g1: another tenant also uses cred-1, then it is revoked there.
    makeEvent({ kind: 'task_start', task_id: 'g1', tenant_id: 'globex', ts: T0 + 2_000, span_id: 'g-root' }),
    makeEvent({ kind: 'credential_used', task_id: 'g1', tenant_id: 'globex', ts: T0 + 2_100, span_id: 'g-u', credential_id: 'cred-1' }),
    makeEvent({ kind: 'credential_revoked', task_id: 'g1', tenant_id: 'globex', ts: T0 + 2_200, span_id: 'g-r', credential_id: 'cred-1' }),
  ])
  // A replay of part of t1 and of t2 must change nothing a reader sees.
  await insertEvents(store.client, [
    makeEvent({ kind: 'prompt', task_id: 't1', ts: T0 + 10.001, span_id: 'p', agent_id: 'planner' }),
    makeEvent({ kind: 'credential_used', task_id: 't2', ts: T0 + 1_100, span_id: 'u1', credential_id: 'cred-1' }),
  ])
  const base = { rule_id: 'cred-reuse', dedup_key: 'cred-1', task_id: 't2', severity: 'high' as const }
  await insertAlerts(store.client, [
    makeAlert({ ...base, count: 1, updated_at: T0 + 1_100 }),
    makeAlert({ ...base, count: 2, updated_at: T0 + 1_200, last_seen: T0 + 1_200, severity: 'critical' }),
    makeAlert({ rule_id: 'cross-tenant', dedup_key: 'g', tenant_id: 'globex', task_id: 'g1', severity: 'medium', last_seen: T0 + 2_100 }),
  ])
  // An older version arriving late still loses to the newer one.
  await insertAlerts(store.client, [makeAlert({ ...base, count: 1, updated_at: T0 + 1_000 })])
})

afterAll(async () => {
  await store.destroy()
})

describe('listTasks', () => {
  it('lists tasks newest first with counts by kind, agents, tools and alert counts', async () => {
    const { tasks } = await listTasks(store.client, DB, {}, admin)
    expect(tasks.map((t) => `${t.tenant_id}/${t.task_id}`)).toEqual(['globex/g1', 'acme/t2', 'acme/t1'])
    const t1 = tasks.find((t) => t.task_id === 't1')!
    expect(t1).toEqual({
      tenant_id: 'acme',
      task_id: 't1',
      started_at: T0,
      ended_at: T0 + 40,
      last_seen: T0 + 40,
      counts: { task_start: 1, prompt: 1, tool_invocation: 1, credential_issued: 1, credential_used: 1, task_end: 1 },
      event_count: 6,
      agents: ['planner'],
      agent_names: [],
      tools: ['crm.read'],
      target_tenants: ['globex'],
      credential_ids: ['cred-1'],
      has_error: true,
      alert_count: 0,
    })
    const t2 = tasks.find((t) => t.task_id === 't2')!
    expect(t2).toMatchObject({ ended_at: null, counts: { task_start: 1, credential_used: 2 }, alert_count: 1, has_error: false })
  })

  it('shows a tenant only its own tasks, whatever tenant it asks for', async () => {
    expect((await listTasks(store.client, DB, {}, acme)).tasks.map((t) => t.task_id)).toEqual(['t2', 't1'])
    expect((await listTasks(store.client, DB, { tenant: 'globex' }, acme)).tasks).toEqual([])
    expect((await listTasks(store.client, DB, {}, globex)).tasks.map((t) => t.task_id)).toEqual(['g1'])
    expect((await listTasks(store.client, DB, { tenant: 'globex' }, admin)).tasks.map((t) => t.task_id)).toEqual(['g1'])
  })

  it('filters by time window, alerts and limit', async () => {
    const ids = async (filter: Parameters<typeof listTasks>[2]) => (await listTasks(store.client, DB, filter, admin)).tasks.map((t) => t.task_id)
    expect(await ids({ since: T0 + 1_150 })).toEqual(['g1', 't2'])
    expect(await ids({ until: T0 + 500 })).toEqual(['t1'])
    expect(await ids({ hasAlerts: true })).toEqual(['g1', 't2'])
    expect(await ids({ hasAlerts: false })).toEqual(['t1'])
    expect(await ids({ limit: 1 })).toEqual(['g1'])
  })

  it('rejects malformed filters with an error naming the field', async () => {
    const error = await listTasks(store.client, DB, { limit: 0 }, admin).catch((e) => e)
    expect(isPrivpathError(error) && error.code === 'PP_ERR_BAD_REQUEST' && /limit/.test(error.message)).toBe(true)
    await expect(listTasks(store.client, DB, { since: Number.NaN }, admin)).rejects.toThrow(/since/)
    await expect(listTasks(store.client, DB, { tenant: '' }, admin)).rejects.toThrow(/tenant/)
    await expect(listTasks(store.client, DB, {}, { tenant: '' })).rejects.toThrow(/scope\.tenant/)
    await expect(getTask(store.client, DB, '', admin)).rejects.toThrow(/taskId/)
  })

  it('treats user values as data, never as SQL', async () => {
    expect((await listTasks(store.client, DB, { tenant: "acme' OR 1=1 --" }, admin)).tasks).toEqual([])
  })
})

describe('getTask', () => {
  it('returns events ordered by ts then seq, each once despite the replay', async () => {
    const detail = await getTask(store.client, DB, 't1', acme)
    expect(detail?.events.map((e) => `${e.kind}@${(e.ts * 1000 - T0 * 1000) / 1000}#${e.seq}`)).toEqual([
      'task_start@0#0',
      'credential_issued@5#0',
      'prompt@10.001#0',
      'tool_invocation@20.002#0',
      'credential_used@20.002#1',
      'task_end@40#1',
    ])
    expect(detail?.truncated).toBe(false)
    expect(detail?.task.event_count).toBe(6)
    expect(detail?.events[1]).toMatchObject({ credential_scopes: ['crm:read', 'crm:write'], credential_expires_at: T0 + 900_000 })
  })

  it('puts task_start first and task_end last among events sharing their ts', async () => {
    // event_ids sort against the expected order, so only the kind can break these ties.
    await insertEvents(store.client, [
      makeEvent({ kind: 'task_end', task_id: 'ties', ts: T0 + 9, seq: 1, span_id: 'root', event_id: 'a-end' }),
      makeEvent({ kind: 'other', task_id: 'ties', ts: T0 + 9, seq: 2, span_id: 'child', event_id: 'b-child' }),
      makeEvent({ kind: 'other', task_id: 'ties', ts: T0, seq: 0, span_id: 'root', event_id: 'a-own' }),
      makeEvent({ kind: 'task_start', task_id: 'ties', ts: T0, seq: 0, span_id: 'root', event_id: 'z-start' }),
    ])
    const detail = await getTask(store.client, DB, 'ties', admin)
    expect(detail?.events.map((e) => e.event_id)).toEqual(['z-start', 'a-own', 'b-child', 'a-end'])
  })

  it('is null for another tenant or an unknown task, and truncates at the limit', async () => {
    expect(await getTask(store.client, DB, 't1', globex)).toBeNull()
    expect(await getTask(store.client, DB, 't1', admin, { tenant: 'globex' })).toBeNull()
    expect(await getTask(store.client, DB, 'nope', admin)).toBeNull()
    const cut = await getTask(store.client, DB, 't1', admin, { limit: 2 })
    expect(cut?.events.map((e) => e.kind)).toEqual(['task_start', 'credential_issued'])
    expect(cut?.truncated).toBe(true)
  })
})

describe('getCredential', () => {
  it('gives an admin the whole lifecycle across tenants', async () => {
    const c = await getCredential(store.client, DB, 'cred-1', admin)
    expect(c).toMatchObject({
      credential_id: 'cred-1',
      tenant_id: 'acme',
      tenants: ['acme', 'globex'],
      issuing_task_id: 't1',
      credential_type: 'oauth2',
      credential_issuer: 'idp',
      credential_subject: 'svc',
      credential_scopes: ['crm:read', 'crm:write'],
      issued_at: T0 + 5,
      expires_at: T0 + 900_000,
      revoked_at: T0 + 2_200,
      used_task_count: 3,
      use_count: 4,
      first_used_at: T0 + 20.002,
      last_used_at: T0 + 2_100,
      used_in: [
        { tenant_id: 'acme', task_id: 't1', uses: 1, first_used_at: T0 + 20.002, last_used_at: T0 + 20.002 },
        { tenant_id: 'acme', task_id: 't2', uses: 2, first_used_at: T0 + 1_100, last_used_at: T0 + 1_200 },
        { tenant_id: 'globex', task_id: 'g1', uses: 1, first_used_at: T0 + 2_100, last_used_at: T0 + 2_100 },
      ],
    })
    expect(c?.issued).toMatchObject({ kind: 'credential_issued', task_id: 't1', ts: T0 + 5 })
    expect(c?.revoked).toMatchObject({ kind: 'credential_revoked', task_id: 'g1' })
  })

  it("shows a tenant only its own tasks' part of the lifecycle", async () => {
    const mine = await getCredential(store.client, DB, 'cred-1', acme)
    expect(mine).toMatchObject({ tenants: ['acme'], revoked_at: null, revoked: null, used_task_count: 2, use_count: 3 })
    expect(mine?.used_in.map((u) => u.task_id)).toEqual(['t1', 't2'])
    const theirs = await getCredential(store.client, DB, 'cred-1', globex)
    expect(theirs).toMatchObject({ tenant_id: '', issued_at: null, issued: null, credential_type: '', revoked_at: T0 + 2_200, use_count: 1 })
    expect(await getCredential(store.client, DB, 'cred-1', { tenant: 'initech' })).toBeNull()
    expect(await getCredential(store.client, DB, 'unknown', admin)).toBeNull()
  })
})

describe('listAlerts', () => {
  it('returns the latest version of each alert, newest activity first', async () => {
    const { alerts } = await listAlerts(store.client, DB, {}, admin)
    expect(alerts.map((a) => [a.rule_id, a.count, a.severity])).toEqual([
      ['cross-tenant', 1, 'medium'],
      ['cred-reuse', 2, 'critical'],
    ])
    expect(alerts[1].updated_at).toBe(T0 + 1_200)
  })

  it('filters on the latest version only', async () => {
    expect((await listAlerts(store.client, DB, { severity: 'high' }, admin)).alerts).toEqual([])
    expect((await listAlerts(store.client, DB, { severity: 'critical' }, admin)).alerts.map((a) => a.count)).toEqual([2])
    expect((await listAlerts(store.client, DB, { rule: 'cross-tenant' }, admin)).alerts.map((a) => a.task_id)).toEqual(['g1'])
    expect((await listAlerts(store.client, DB, { task: 't2' }, admin)).alerts.map((a) => a.rule_id)).toEqual(['cred-reuse'])
    expect((await listAlerts(store.client, DB, { since: T0 + 1_500 }, admin)).alerts.map((a) => a.rule_id)).toEqual(['cross-tenant'])
    expect((await listAlerts(store.client, DB, { until: BASE_TS - 1 }, admin)).alerts).toEqual([])
    expect((await listAlerts(store.client, DB, { limit: 1 }, admin)).alerts).toHaveLength(1)
  })

  it('scopes alerts to the caller’s tenant', async () => {
    expect((await listAlerts(store.client, DB, {}, acme)).alerts.map((a) => a.tenant_id)).toEqual(['acme'])
    expect((await listAlerts(store.client, DB, { tenant: 'globex' }, acme)).alerts).toEqual([])
    expect((await listAlerts(store.client, DB, { tenant: 'globex' }, admin)).alerts.map((a) => a.rule_id)).toEqual(['cross-tenant'])
  })

  it('lists incidents and posture findings apart, both by default', async () => {
    const tenant = { tenant: 'posture-co' }
    await insertAlerts(store.client, [
      makeAlert({ rule_id: 'privileged-tool-without-policy', dedup_key: 'planner|shell.exec', tenant_id: 'posture-co', category: 'posture', count: 4 }),
      makeAlert({ rule_id: 'privileged-tool-without-allow', dedup_key: 't9|shell.exec', tenant_id: 'posture-co', last_seen: BASE_TS + 1 }),
    ])
    const rules = async (filter: Parameters<typeof listAlerts>[2]) => (await listAlerts(store.client, DB, filter, tenant)).alerts.map((a) => [a.rule_id, a.category])
    expect(await rules({})).toEqual([['privileged-tool-without-allow', 'incident'], ['privileged-tool-without-policy', 'posture']])
    expect(await rules({ category: 'posture' })).toEqual([['privileged-tool-without-policy', 'posture']])
    expect(await rules({ category: 'incident' })).toEqual([['privileged-tool-without-allow', 'incident']])
    await expect(listAlerts(store.client, DB, { category: 'finding' as never }, admin)).rejects.toThrow(/category must be one of/)
  })

  it('rejects an unknown severity', async () => {
    await expect(listAlerts(store.client, DB, { severity: 'urgent' as never }, admin)).rejects.toThrow(/severity must be one of/)
  })
})

describe('summaries built from several partial rows', () => {
  it('time filters pick whole tasks, not the partial rows that match', async () => {
    // Two inserts leave two unmerged summary rows for one task; only the later one is inside the window.
    await insertEvents(store.client, [makeEvent({ kind: 'task_start', task_id: 'late', tenant_id: 'initech', ts: T0, span_id: 'l0' })])
    await insertEvents(store.client, [makeEvent({ kind: 'prompt', task_id: 'late', tenant_id: 'initech', ts: T0 + 5_000, span_id: 'l1' })])
    const { tasks } = await listTasks(store.client, DB, { since: T0 + 4_000 }, { tenant: 'initech' })
    expect(tasks).toHaveLength(1)
    expect(tasks[0]).toMatchObject({ started_at: T0, last_seen: T0 + 5_000, counts: { task_start: 1, prompt: 1 }, event_count: 2 })
    expect((await listTasks(store.client, DB, { until: T0 + 1 }, { tenant: 'initech' })).tasks[0]).toMatchObject({ last_seen: T0 + 5_000, event_count: 2 })
    expect((await listTasks(store.client, DB, { since: T0 + 5_001 }, { tenant: 'initech' })).tasks).toEqual([])
    expect((await listTasks(store.client, DB, { until: T0 - 1 }, { tenant: 'initech' })).tasks).toEqual([])
  })
})

describe('ids two tenants share', () => {
  // The same spans sent under two keys: one task id, one credential id, the same event ids.
  const spans = (tenant_id: string, at: number, credential_type: string, credential_issuer: string) => [
    makeEvent({ kind: 'credential_issued', tenant_id, task_id: 'shared', ts: at, span_id: 's-iss', credential_id: 'cred-shared', credential_type, credential_issuer }),
    makeEvent({ kind: 'credential_used', tenant_id, task_id: 'shared', ts: at + 1, span_id: 's-use', credential_id: 'cred-shared' }),
  ]

  it("counts each tenant's tasks and uses of a credential id, and takes the issue from its first issuer", async () => {
    await insertEvents(store.client, [...spans('acme', T0 + 10, 'oauth2', 'idp-acme'), ...spans('globex', T0 + 20, 'saml', 'idp-globex')])
    const all = await getCredential(store.client, DB, 'cred-shared', admin)
    expect(all).toMatchObject({ tenants: ['acme', 'globex'], tenant_id: 'acme', credential_type: 'oauth2', credential_issuer: 'idp-acme', used_task_count: 2, use_count: 2 })
    const mine = await getCredential(store.client, DB, 'cred-shared', acme)
    expect(mine).toMatchObject({ tenants: ['acme'], tenant_id: 'acme', credential_type: 'oauth2', used_task_count: 1, use_count: 1, issued_at: T0 + 10 })
    const theirs = await getCredential(store.client, DB, 'cred-shared', globex)
    expect(theirs).toMatchObject({ tenants: ['globex'], tenant_id: 'globex', credential_type: 'saml', credential_issuer: 'idp-globex', used_task_count: 1, use_count: 1 })
  })

  it("counts each tenant's alerts of a rule when their alert ids meet", async () => {
    await recordLoadedRules(store.client, DB, [{ rule_id: 'shared-rule', title: 'Shared', description: '', severity: 'high', status: 'stable', frameworks: [], tags: [], file: 'x.yaml' }])
    await insertAlerts(store.client, ['acme', 'globex'].map((tenant_id) => makeAlert({ rule_id: 'shared-rule', dedup_key: 'k', tenant_id, task_id: 'shared' })))
    const hits = async (scope: { tenant: string }) => (await listRules(store.client, DB, scope)).rules.find((r) => r.rule_id === 'shared-rule')?.hits
    expect(await hits(admin)).toMatchObject({ alerts: 2, tasks: 2 })
    expect(await hits(acme)).toMatchObject({ alerts: 1, tasks: 1 })
  })
})
