/**
 * Fastify serialises answers with their response schemas, and fast-json-stringify writes only the
 * properties a schema declares: a field the queries return but the schema forgets would vanish
 * from the API without an error. Each route here is answered twice from the same data, once with
 * the response schemas and once by plain JSON.stringify, and the two bodies must be equal.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operationsApi, queryApi, type ApiQueries } from '../api/index.js'
import { createAuthenticator } from '../core/auth.js'
import { emptyEvent, type EventKind, type PrivpathEvent } from '../core/event.js'
import { recordLoadedRules } from '../core/store/rules.js'
import { deliveryRoutes, type DeliveryControl, type OutboxEntry } from '../delivery/index.js'
import { storeQueries } from '../server/store-queries.js'
import { DB, insertAlerts, insertEvents, makeAlert, makeEvent, openTestStore, type TestStore } from '../testkit/store.js'

const auth = createAuthenticator({ tenant_keys: [], tenant_keys_file: '' })
// Inside the tables' TTLs, or ClickHouse drops the rows on write.
const T0 = Date.now() - 3_600_000

/** Every field set to something not empty, so a dropped field shows whatever its type. */
function fullEvent(kind: EventKind, overrides: Partial<PrivpathEvent>): PrivpathEvent {
  const filled: Record<string, unknown> = {}
  for (const [field, empty] of Object.entries(emptyEvent())) {
    // event_id derives from the span, as the collector makes it
    if (field === 'event_id') continue
    if (typeof empty === 'string') filled[field] = `${field}-value`
    else if (Array.isArray(empty)) filled[field] = [`${field}-value`]
  }
  return makeEvent({
    ...(filled as Partial<PrivpathEvent>),
    kind,
    task_id: 't1',
    tenant_id: 'acme',
    source: 'gen_ai',
    status: 'error',
    authz_result: 'deny',
    approval_result: 'granted',
    requested_calls: [{ call_id: 'call_id-value', name: 'name-value', arguments: 'arguments-value' }],
    attributes: { 'gen_ai.system': 'openai' },
    credential_expires_at: T0 + 900_000,
    ...overrides,
  })
}

/** The same routes twice: with the response schemas, and with JSON.stringify for every answer. */
async function twice(register: (app: FastifyInstance) => Promise<void>): Promise<(url: string) => Promise<unknown>> {
  const withSchemas = Fastify()
  const plain = Fastify()
  plain.setSerializerCompiler(() => (data) => JSON.stringify(data))
  await register(withSchemas)
  await register(plain)
  return async (url) => {
    const [schemaBody, plainBody] = await Promise.all([withSchemas.inject(url), plain.inject(url)])
    expect(schemaBody.statusCode, `${url}: ${schemaBody.body}`).toBe(plainBody.statusCode)
    const body = JSON.parse(schemaBody.body)
    expect(body, url).toEqual(JSON.parse(plainBody.body))
    return body
  }
}

describe('query API answers carry every field the queries return', () => {
  let store: TestStore
  let get: (url: string) => Promise<unknown>

  beforeAll(async () => {
    store = await openTestStore('privpath-api-responses-')
    await insertEvents(store.client, [
      fullEvent('task_start', { ts: T0, span_id: 'root', seq: 0 }),
      fullEvent('credential_issued', { ts: T0 + 5, span_id: 'iss', credential_id: 'cred-1' }),
      fullEvent('tool_invocation', { ts: T0 + 10, span_id: 'tool', credential_id: 'cred-1' }),
      fullEvent('credential_used', { ts: T0 + 10, span_id: 'tool', seq: 1, credential_id: 'cred-1' }),
      fullEvent('credential_revoked', { ts: T0 + 20, span_id: 'rev', credential_id: 'cred-1' }),
      fullEvent('task_end', { ts: T0 + 40, span_id: 'root', seq: 1 }),
    ])
    await insertAlerts(store.client, [
      makeAlert({
        rule_id: 'cross-tenant',
        dedup_key: 't1',
        task_id: 't1',
        event_ids: ['e1', 'e2'],
        tags: ['tenancy'],
        runbook: 'https://runbooks.example/cross-tenant',
        count: 2,
        first_seen: T0 + 10,
        last_seen: T0 + 20,
        updated_at: T0 + 20,
      }),
    ])
    await recordLoadedRules(
      store.client,
      DB,
      [{ rule_id: 'cross-tenant', title: 'Cross-tenant', description: 'd', severity: 'high', status: 'stable', frameworks: ['owasp_agentic:T3'], tags: ['tenancy'], file: '/rules/x.yaml' }],
      T0,
    )
    const queries: ApiQueries = storeQueries(store.client, DB)
    const readiness = () => ({ ready: false, checks: { store: true, wal_replayed: false } })
    get = await twice(async (app) => {
      await app.register(operationsApi({ registry: new Registry(), readiness }))
      await app.register(queryApi({ queries, auth }))
    })
  })

  afterAll(async () => {
    await store.destroy()
  })

  it('GET /api/tasks and /api/tasks/:id', async () => {
    expect(await get('/api/tasks')).toMatchObject({ tasks: [{ task_id: 't1', alert_count: 1, ended_at: T0 + 40 }] })
    const detail = (await get('/api/tasks/t1')) as { events: PrivpathEvent[] }
    expect(detail.events).toHaveLength(6)
    expect(Object.keys(detail.events[0]).sort()).toEqual(Object.keys(emptyEvent()).sort())
  })

  it('GET /api/credentials/:id', async () => {
    expect(await get('/api/credentials/cred-1')).toMatchObject({
      issued: { kind: 'credential_issued' },
      revoked: { kind: 'credential_revoked' },
      used_in: [{ task_id: 't1', uses: 1 }],
    })
  })

  it('GET /api/alerts and /api/rules', async () => {
    expect(await get('/api/alerts')).toMatchObject({ alerts: [{ rule_id: 'cross-tenant', count: 2 }] })
    expect(await get('/api/rules')).toMatchObject({ rules: [{ rule_id: 'cross-tenant', hits: { alerts: 1, tasks: 1 } }] })
  })

  it('GET /healthz and /readyz, and the error body', async () => {
    expect(await get('/healthz')).toEqual({ status: 'ok' })
    expect(await get('/readyz')).toEqual({ ready: false, checks: { store: true, wal_replayed: false } })
    expect(await get('/api/tasks/nope')).toMatchObject({ code: 'PP_ERR_NOT_FOUND' })
  })
})

describe('delivery answers carry every field', () => {
  const entry = (state: 'pending' | 'dead'): OutboxEntry => {
    const alert = makeAlert({ rule_id: 'cross-tenant', dedup_key: state })
    return {
      id: alert.alert_id,
      key: alert.alert_id,
      sink: 'hook',
      notification: { kind: 'alert', alert },
      routes: ['all'],
      version: 3,
      updated_at: T0,
      attempts: 2,
      coalesced: 1,
      enqueued_at: T0,
      next_attempt_at: T0 + 1_000,
      last_attempt_at: T0 + 500,
      last_error: 'HTTP 502',
      dead_at: state === 'dead' ? T0 + 2_000 : 0,
    }
  }
  const control: DeliveryControl = {
    stats: () => ({
      sinks: [
        {
          name: 'hook',
          type: 'webhook',
          pending: 1,
          in_flight: 1,
          dead: 1,
          counters: { attempts: 5, delivered: 2, failed: 3, retried: 2, dead_lettered: 1, coalesced: 1, duplicates: 1 },
        },
      ],
      routes: [{ name: 'all', sinks: ['hook'], rate_per_minute: 10 }],
      unrouted: 4,
      rejected: 1,
    }),
    pending: () => [entry('pending')],
    deadLetters: async () => [entry('dead')],
    redeliver: async () => ({ hook: 1 }),
    sinkNames: () => ['hook'],
  }

  it('GET /api/deliveries', async () => {
    const get = await twice(async (app) => {
      await app.register(deliveryRoutes({ control, auth }))
    })
    expect(await get('/api/deliveries')).toMatchObject({ pending: { total: 1 }, dead_letters: { total: 1, entries: [{ dead_at: T0 + 2_000 }] } })
  })
})
