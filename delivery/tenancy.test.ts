/**
 * Delivery state is per tenant: acme's and globex's alerts with the same rule, dedup key, task
 * and alert id share no outbox entry, no memory of what was sent, no idempotency key, no rate
 * limit, no digest and no Slack thread.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { Alert } from '../core/alert.js'
import { createAuthenticator } from '../core/auth.js'
import { type CoreTopics, MemoryBus } from '../core/bus/index.js'
import { validateConfig } from '../core/config/load.js'
import { capturedTelemetry, makeAlert, repeatOf } from '../testkit/delivery.js'
import { waitFor } from '../testkit/wait.js'
import type { HttpClient } from './http.js'
import { newEntry } from './outbox/entry.js'
import { OutboxStore } from './outbox/store.js'
import { deliveryRoutes } from './routes.js'
import { startDelivery } from './service.js'
import { type Digest, MemorySink, type Notification, type SendContext } from './sink.js'
import { SlackSink } from './slack/sink.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** The same incident in two tenants: what a detector that does not scope alert ids by tenant raises. */
const acme = (overrides: Partial<Alert> = {}) => makeAlert({ ...overrides, tenant_id: 'acme' })
const globex = (overrides: Partial<Alert> = {}) => makeAlert({ ...overrides, tenant_id: 'globex' })

async function start(routes: unknown[], sinks: MemorySink[], options: { now?: () => number; rateWindowMs?: number; dataDir?: string } = {}) {
  const { now, rateWindowMs = 60_000, dataDir = mkdtempSync(join(tmpdir(), 'pp-tenancy-')) } = options
  const bus = new MemoryBus<CoreTopics>()
  const delivery = startDelivery({ bus, config: validateConfig({ alerts: { routes } }), dataDir, telemetry: capturedTelemetry(), sinks, rateWindowMs, now })
  await delivery.ready
  cleanup.push(async () => {
    await delivery.stop()
    await bus.close()
  })
  const publish = (alerts: Alert[]) => bus.publish('alerts', alerts.map((value) => ({ key: value.alert_id, value })))
  return { delivery, publish }
}

const alertsOf = (sink: MemorySink) => sink.received.flatMap((r) => (r.notification.kind === 'alert' ? [r.notification.alert] : []))
const digestsOf = (sink: MemorySink) => sink.received.flatMap((r) => (r.notification.kind === 'digest' ? [r.notification.digest] : []))

describe('outbox entries per tenant', () => {
  it('delivers both tenants’ versions of one alert id, under different idempotency keys', async () => {
    expect(acme().alert_id).toBe(globex().alert_id)
    const team = new MemorySink('team')
    const { delivery, publish } = await start([], [team])
    // Pending together: globex's version must neither look like a copy of acme's nor replace it.
    await publish([acme(), globex()])
    await publish([acme({ dedup_key: 'newer' }), repeatOf(globex({ dedup_key: 'newer' }))])
    await delivery.idle()
    // Delivered: acme's count 3 must not make globex's count 1 look like an old version.
    await publish([repeatOf(repeatOf(acme({ dedup_key: 'later' })))])
    await delivery.idle()
    await publish([globex({ dedup_key: 'later' })])
    await delivery.idle()
    expect(alertsOf(team).map((a) => `${a.tenant_id}:${a.dedup_key}:${a.count}`).sort()).toEqual([
      'acme:later:3',
      'acme:newer:1',
      'acme:task-1:1',
      'globex:later:1',
      'globex:newer:2',
      'globex:task-1:1',
    ])
    const keys = team.received.map((r) => r.context.idempotencyKey)
    expect(new Set(keys).size).toBe(6)
    expect(delivery.stats().sinks[0].counters).toMatchObject({ delivered: 6, coalesced: 0, duplicates: 0 })
  })

  it('redelivers one tenant’s dead letter while another tenant’s newer version of the alert id is pending', async () => {
    const store = await OutboxStore.open(mkdtempSync(join(tmpdir(), 'pp-tenancy-')))
    await store.write('dead', { ...newEntry('s', { kind: 'alert', alert: acme() }, [], 1), attempts: 9, dead_at: 5 })
    await store.write('pending', newEntry('s', { kind: 'alert', alert: repeatOf(globex()) }, [], 1))
    const moved = await store.redeliver({}, 100)
    expect(moved.map((e) => e.notification.kind === 'alert' && e.notification.alert.tenant_id)).toEqual(['acme'])
    expect((await store.list('pending')).map((e) => e.version).sort()).toEqual([1, 2])
  })
})

describe('rate limits and digests per tenant', () => {
  it('keeps acme’s alerts flowing through a route globex floods, and gives each tenant its own digest', async () => {
    const team = new MemorySink('team')
    // A clock that stands still inside one window while the alerts arrive, then moves past its end.
    let clock = 1_000_000
    const { delivery, publish } = await start([{ name: 'noisy', sinks: ['team'], rate_per_minute: 2 }], [team], { now: () => clock, rateWindowMs: 500 })
    const keys = Array.from({ length: 10 }, (_, i) => ({ dedup_key: `k${i}`, task_id: `task-${i}` }))
    await publish(keys.map((k) => globex(k)))
    await publish(keys.slice(0, 5).map((k) => acme(k)))
    await delivery.idle()
    expect(alertsOf(team).map((a) => `${a.tenant_id}:${a.dedup_key}`).sort()).toEqual(['acme:k0', 'acme:k1', 'globex:k0', 'globex:k1'])

    clock += 600
    await waitFor(() => digestsOf(team).length === 2, 5_000, 'one digest per tenant')
    const digests = new Map(digestsOf(team).map((d): [string, Digest] => [d.tenant_id ?? '', d]))
    expect(digests.get('globex')).toMatchObject({ route: 'noisy', total: 8 })
    expect(digests.get('acme')).toMatchObject({ route: 'noisy', total: 3 })
    expect(digests.get('globex')!.items.every((i) => i.tenant_id === 'globex')).toBe(true)
    expect(digests.get('acme')!.items.map((i) => `${i.tenant_id}:${i.task_id}`).sort()).toEqual(['acme:task-2', 'acme:task-3', 'acme:task-4'])
    expect(digests.get('acme')!.digest_id).not.toBe(digests.get('globex')!.digest_id)
  })

  it('flushes a held alert written before limits were per tenant into its own tenant’s digest', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-tenancy-'))
    const dir = join(dataDir, 'outbox', '.digests', 'abcdef012345')
    mkdirSync(dir, { recursive: true })
    const item = { ...globex(), count: 1 }
    writeFileSync(join(dir, '0-old.json'), JSON.stringify({ route: 'noisy', window_start: 0, item }))
    const team = new MemorySink('team')
    await start([{ name: 'noisy', sinks: ['team'], rate_per_minute: 1 }], [team], { now: () => 120_000, dataDir })
    await waitFor(() => digestsOf(team).length === 1, 5_000, 'held digest')
    expect(digestsOf(team)[0]).toMatchObject({ tenant_id: 'globex', total: 1 })
  })
})

describe('slack threads per tenant', () => {
  it('threads each tenant’s repeats under its own first message', async () => {
    let ts = 0
    const posts: Array<{ text: string; thread_ts?: string }> = []
    const http: HttpClient = {
      async post(_url, _headers, body) {
        posts.push(JSON.parse(body) as (typeof posts)[number])
        return { status: 200, headers: {}, body: JSON.stringify({ ok: true, ts: `1700000000.00000${++ts}` }) }
      },
      close: async () => undefined,
    }
    const config = validateConfig({ alerts: { sinks: [{ name: 'slack', type: 'slack', token: 'xoxb-t', channel: '#alerts' }] } }).alerts.sinks[0]
    const sink = new SlackSink(config, { http })
    const context: SendContext = { attempt: 1, idempotencyKey: 'k', signal: new AbortController().signal, publicUrl: '' }
    const send = (alert: Alert) => sink.send({ kind: 'alert', alert } satisfies Notification, context)
    const [a1, g1] = [acme(), globex()]
    for (const alert of [a1, g1, repeatOf(a1), repeatOf(g1)]) expect((await send(alert)).status).toBe('delivered')
    expect(posts.map((p) => p.thread_ts)).toEqual([undefined, undefined, '1700000000.000001', '1700000000.000002'])
    expect(posts[3].text).toContain('globex')
  })
})

describe('delivery endpoints with tenant keys', () => {
  it('neither lists nor redelivers dead letters for a tenant key', async () => {
    const hook = new MemorySink('hook', [{ status: 'permanent', error: 'HTTP 400' }])
    const { delivery, publish } = await start([], [hook])
    await publish([globex()])
    await waitFor(() => delivery.stats().sinks[0].dead === 1, 5_000, 'dead letter')
    const app = Fastify()
    const auth = createAuthenticator({ tenant_keys: ['acme:key-acme', 'globex:key-globex', '*:key-admin'], tenant_keys_file: '' })
    await app.register(deliveryRoutes({ control: delivery, auth }))
    cleanup.push(() => app.close())
    const as = (key: string) => ({ authorization: `Bearer ${key}` })
    expect((await app.inject({ method: 'GET', url: '/api/deliveries', headers: as('key-acme') })).statusCode).toBe(401)
    const redeliver = await app.inject({ method: 'POST', url: '/api/deliveries/redeliver', headers: as('key-acme'), payload: {} })
    expect(redeliver.statusCode).toBe(401)
    expect(delivery.stats().sinks[0].dead).toBe(1)
    const admin = await app.inject({ method: 'GET', url: '/api/deliveries', headers: as('key-admin') })
    expect(admin.json().dead_letters.entries).toMatchObject([{ tenant_id: 'globex' }])
  })
})
