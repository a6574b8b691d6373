import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../../core/auth.js'
import { deliveryRoutes } from '../routes.js'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { validateConfig } from '../../core/config/load.js'
import { type DeliveryControl, startDelivery } from '../service.js'
import { alertKey } from '../sink.js'
import { type Answer, capturedTelemetry, makeAlert, metricValue, repeatOf, startReceiver } from '../../testkit/delivery.js'
import { waitFor } from '../../testkit/wait.js'
import { signBody, verifySignature, webhookPayload } from './payload.js'
import { WebhookSink } from './sink.js'

const SECRET = 'whsec-test-1f2e3d4c5b6a'
const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/**
 * A clock only the test moves, started on a whole second (so an HTTP date names an instant of it
 * exactly) and near the real time (so signatures stay within the verification tolerance).
 */
function steppedClock() {
  const start = Math.floor(Date.now() / 1000) * 1000
  let now = start
  return { start, now: () => now, advance: (ms: number) => void (now += ms) }
}

interface SetupOptions {
  /** Overrides of the sink's configuration. */
  sink?: Record<string, unknown>
  /** Worker and sink schedule, sign and read `Retry-After` dates against it. */
  clock?: ReturnType<typeof steppedClock>
  random?: () => number
}

async function setup(answer: (index: number) => Answer, options: SetupOptions = {}) {
  const receiver = await startReceiver((_, i) => answer(i))
  const url = `${receiver.url}/hooks/T0KEN-in-path?key=qs-secret-123`
  const config = validateConfig({
    server: { public_url: 'https://privpath.example' },
    alerts: { sinks: [{ name: 'hook', type: 'webhook', url, secret: SECRET, backoff_base_ms: 20, backoff_max_ms: 100, max_attempts: 6, ...options.sink }] },
  })
  const bus = new MemoryBus<CoreTopics>()
  const telemetry = capturedTelemetry()
  const dataDir = mkdtempSync(join(tmpdir(), 'pp-webhook-'))
  const now = options.clock?.now
  // The sink built from configuration reads the real clock; given one, it is built here on the test's clock.
  const sinks = now ? [new WebhookSink(config.alerts.sinks[0], { now })] : undefined
  const delivery = startDelivery({ bus, config, dataDir, telemetry, now, random: options.random, sinks })
  await delivery.ready
  cleanup.push(() => receiver.close(), async () => {
    await delivery.stop()
    await bus.close()
    // The service closes only the sinks it built.
    for (const sink of sinks ?? []) await sink.close()
  })
  return { receiver, bus, telemetry, delivery, dataDir, url }
}

const counters = (delivery: DeliveryControl) => delivery.stats().sinks[0].counters


describe('webhook payload and signature', () => {
  it('builds the documented payload with links and ISO times', () => {
    const alert = makeAlert({ count: 3 })
    const payload = webhookPayload({ kind: 'alert', alert }, 'https://pp.example/')
    expect(payload).toMatchObject({
      schema_version: 1,
      type: 'alert',
      alert_id: alert.alert_id,
      count: 3,
      rule: { id: 'cross_tenant_tool', title: 'Cross-tenant tool routing', tags: ['tenancy'] },
      severity: 'high',
      tenant_id: 'acme',
      task_id: 'task-1',
      event_ids: ['e1', 'e2'],
      frameworks: ['owasp_agentic:T3', 'owasp_nhi:NHI5'],
      first_seen: new Date(alert.first_seen).toISOString(),
      links: { task: 'https://pp.example/tasks/task-1?tenant=acme' },
    })
  })

  it('builds digest payloads with links per alert and the omitted count', () => {
    const item = { ...makeAlert(), count: 2 }
    const payload = webhookPayload(
      { kind: 'digest', digest: { digest_id: 'digest-abc-0', route: 'noisy', window_start: 0, window_end: 60_000, total: 7, items: [item], omitted: 3 } },
      'https://pp.example',
    )
    expect(payload).toMatchObject({
      schema_version: 1,
      type: 'digest',
      digest_id: 'digest-abc-0',
      route: 'noisy',
      window_end: '1970-01-01T00:01:00.000Z',
      total: 7,
      omitted: 3,
      alerts: [{ alert_id: item.alert_id, count: 2, link: 'https://pp.example/tasks/task-1?tenant=acme' }],
    })
  })

  it('verifies its own signature and rejects tampering, wrong secrets and stale timestamps', () => {
    const body = '{"a":1}'
    const now = 1_700_000_000_000
    const header = signBody(SECRET, body, now / 1000)
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/)
    expect(verifySignature(SECRET, body, header, { now })).toBe(true)
    expect(verifySignature(SECRET, '{"a":2}', header, { now })).toBe(false)
    expect(verifySignature('other', body, header, { now })).toBe(false)
    expect(verifySignature(SECRET, body, header, { now: now + 301_000 })).toBe(false)
    expect(verifySignature(SECRET, body, undefined, { now })).toBe(false)
  })
})

describe('webhook delivery', () => {
  it('retries 500s and a 429 with Retry-After, then delivers once with a valid signature', async () => {
    const clock = steppedClock()
    const { receiver, bus, telemetry, delivery } = await setup(
      (i) => (i < 2 ? { status: 500 } : i === 2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }),
      // No jitter: the 500s are retried at once, so only the Retry-After can put the entry off.
      { clock, random: () => 0 },
    )
    const alert = makeAlert()
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    await waitFor(() => counters(delivery).retried === 3, 10_000, 'the 429')
    // Scheduled one second on, as the receiver asked; the clock stands still, so nothing is sent before.
    expect(delivery.pending()).toMatchObject([{ attempts: 3, next_attempt_at: clock.start + 1_000 }])
    expect(receiver.received).toHaveLength(3)
    clock.advance(1_000)
    await delivery.idle()
    expect(counters(delivery)).toMatchObject({ attempts: 4, delivered: 1 })
    expect(receiver.received).toHaveLength(4)
    const times = receiver.received.map((r) => Number(/t=(\d+)/.exec(String(r.headers['x-privpath-signature']))?.[1]))
    expect(times.every(Number.isInteger)).toBe(true)
    for (const request of receiver.received) {
      expect(request.headers['content-type']).toBe('application/json')
      expect(request.headers['idempotency-key']).toBe(`${alertKey(alert)}:1`)
      expect(verifySignature(SECRET, request.body, String(request.headers['x-privpath-signature']))).toBe(true)
      expect(request.url).toBe('/hooks/T0KEN-in-path?key=qs-secret-123')
    }
    expect(receiver.received.map((r) => r.headers['x-privpath-attempt'])).toEqual(['1', '2', '3', '4'])
    expect(await metricValue(telemetry.registry, 'privpath_delivery_attempts_total', { sink: 'hook' })).toBe(4)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_retries_total', { sink: 'hook' })).toBe(3)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_successes_total', { sink: 'hook' })).toBe(1)
    expect(delivery.pending()).toHaveLength(0)
  })

  it('waits out Retry-After given as an HTTP date', async () => {
    const clock = steppedClock()
    const { receiver, bus, delivery } = await setup(
      (i) => (i === 0 ? { status: 503, headers: { 'retry-after': new Date(clock.now() + 2_000).toUTCString() } } : { status: 200 }),
      { clock },
    )
    const alert = makeAlert()
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    await waitFor(() => counters(delivery).retried === 1, 10_000, 'the 503')
    // Due at the date the receiver named, far beyond the 20-100 ms backoff.
    expect(delivery.pending()).toMatchObject([{ attempts: 1, next_attempt_at: clock.start + 2_000 }])
    expect(receiver.received).toHaveLength(1)
    clock.advance(2_000)
    await delivery.idle()
    expect(counters(delivery)).toMatchObject({ attempts: 2, delivered: 1 })
    expect(receiver.received).toHaveLength(2)
  })

  it('sends a 400 straight to the dead letter without retrying, and logs no secret', async () => {
    const { receiver, bus, delivery, telemetry } = await setup(() => ({ status: 400, body: 'bad payload' }))
    const alert = makeAlert()
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    // Idle: nothing pending or in flight, so no later request can come.
    await delivery.idle()
    expect(delivery.stats().sinks[0]).toMatchObject({ dead: 1, counters: { attempts: 1, retried: 0 } })
    expect(receiver.received).toHaveLength(1)
    const [dead] = await delivery.deadLetters('hook')
    expect(dead).toMatchObject({ id: alert.alert_id, attempts: 1, version: 1 })
    expect(dead.last_error).toMatch(/HTTP 400: bad payload/)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_dead_letters_total', { sink: 'hook' })).toBe(1)
    expect(await metricValue(telemetry.registry, 'privpath_delivery_retries_total', { sink: 'hook' })).toBe(0)
    const logs = telemetry.lines.join('\n')
    expect(logs).toMatch(/dead-lettered/)
    for (const secret of [SECRET, 'T0KEN-in-path', 'qs-secret-123']) expect(logs).not.toContain(secret)
  })

  it('dead-letters after max attempts with the last error, then redelivers through the API', async () => {
    let up = false
    const { receiver, bus, delivery, telemetry } = await setup(() => (up ? { status: 200 } : { status: 502 }), { sink: { max_attempts: 3 } })
    const alert = makeAlert()
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    await waitFor(() => delivery.stats().sinks[0].dead === 1, 5_000, 'dead letter')
    expect(receiver.received).toHaveLength(3)

    const app = Fastify()
    await app.register(deliveryRoutes({ control: delivery, auth: createAuthenticator({ tenant_keys: [], tenant_keys_file: '' }) }))
    const listing = await app.inject({ method: 'GET', url: '/api/deliveries' })
    expect(listing.statusCode).toBe(200)
    const body = listing.json()
    expect(body.dead_letters.total).toBe(1)
    expect(body.dead_letters.entries[0]).toMatchObject({ id: alert.alert_id, attempts: 3, sink: 'hook' })
    expect(body.dead_letters.entries[0].last_error).toMatch(/HTTP 502/)
    expect(body.sinks[0]).toMatchObject({ name: 'hook', type: 'webhook', dead: 1, pending: 0 })
    expect(listing.body).not.toContain('T0KEN-in-path')

    const missing = await app.inject({ method: 'GET', url: '/api/deliveries?sink=nope' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ code: 'PP_ERR_NOT_FOUND', message: 'sink: no sink named "nope"' })
    expect((await app.inject({ method: 'POST', url: '/api/deliveries/redeliver', payload: { sink: 'Bad Name' } })).statusCode).toBe(400)

    up = true
    const redeliver = await app.inject({ method: 'POST', url: '/api/deliveries/redeliver', payload: { sink: 'hook' } })
    expect(redeliver.json()).toEqual({ redelivered: { hook: 1 }, total: 1 })
    await waitFor(() => delivery.stats().sinks[0].counters.delivered === 1, 5_000, 'redelivery')
    expect(delivery.stats().sinks[0].dead).toBe(0)
    expect(await delivery.deadLetters()).toHaveLength(0)
    expect(receiver.received.at(-1)?.headers['idempotency-key']).toBe(`${alertKey(alert)}:1`)
    const metrics = await telemetry.registry.metrics()
    expect(metrics).toMatch(/privpath_delivery_queue_depth\{sink="hook"\} 0/)
    expect(metrics).toMatch(/privpath_delivery_duration_seconds_count\{sink="hook",outcome="retry"\} 3/)
    await app.close()
  })

  it('coalesces versions queued behind a failing attempt and delivers only the newest', async () => {
    let up = false
    const clock = steppedClock()
    const { receiver, bus, delivery } = await setup(() => (up ? { status: 200 } : { status: 429, headers: { 'retry-after': '1' } }), { clock })
    const v1 = makeAlert()
    await bus.publish('alerts', [{ key: v1.alert_id, value: v1 }])
    // The first attempt has failed; until the clock moves the entry waits, and newer versions queue behind it.
    await waitFor(() => counters(delivery).retried === 1, 5_000, 'first attempt to fail')
    const v2 = repeatOf(v1)
    const v3 = repeatOf(v2)
    await bus.publish('alerts', [{ key: v1.alert_id, value: v2 }])
    await bus.publish('alerts', [{ key: v1.alert_id, value: v3 }, { key: v1.alert_id, value: v2 }])
    expect(delivery.pending()).toMatchObject([{ version: 3, coalesced: 2 }])
    up = true
    clock.advance(1_000)
    // Idle: nothing pending or in flight, so the requests so far are all there will be.
    await delivery.idle()
    const sent = receiver.received.slice(1)
    expect(sent).toHaveLength(1)
    expect(sent[0].headers['idempotency-key']).toBe(`${alertKey(v1)}:3`)
    expect(JSON.parse(sent[0].body).count).toBe(3)
    expect(counters(delivery)).toMatchObject({ attempts: 2, coalesced: 2, duplicates: 1, delivered: 1 })
  })
})

describe('docs/alerts.md verification recipe', () => {
  it('accepts what the sink signs and rejects tampering and stale timestamps', async () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/alerts.md'), 'utf8')
    const snippet = /### Verifying the signature[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)?.[1]
    expect(snippet).toContain('export function verifyPrivpath')
    const file = join(mkdtempSync(join(tmpdir(), 'pp-doc-')), 'verify.mjs')
    writeFileSync(file, snippet!)
    const { verifyPrivpath } = (await import(pathToFileURL(file).href)) as {
      verifyPrivpath: (secret: string, body: string, header: string | undefined, tolerance?: number) => boolean
    }
    const body = JSON.stringify(webhookPayload({ kind: 'alert', alert: makeAlert() }, ''))
    const header = signBody(SECRET, body, Math.floor(Date.now() / 1000))
    expect(verifyPrivpath(SECRET, body, header)).toBe(true)
    expect(verifyPrivpath(SECRET, body.replace('acme', 'acmf'), header)).toBe(false)
    expect(verifyPrivpath('wrong', body, header)).toBe(false)
    expect(verifyPrivpath(SECRET, body, signBody(SECRET, body, Math.floor(Date.now() / 1000) - 600))).toBe(false)
    expect(verifyPrivpath(SECRET, body, undefined)).toBe(false)
  })
})
