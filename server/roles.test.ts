/** The roles registry as `privpath up --roles …` runs it: each role alone, and what it serves. */
import { Gauge } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { getJson, startTestApp, type TestApp } from '../testkit/app.js'
import { capturedTelemetry, makeAlert, startReceiver, type Receiver } from '../testkit/delivery.js'
import { waitFor } from '../testkit/wait.js'
import { ROLE_REGISTRY } from './index.js'

const running: Array<TestApp | Receiver> = []
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await ('app' in item ? item.app.stop() : item.close())
})

const KEYS = { tenant_keys: ['acme:acme-key', '*:admin-key'] }

describe('roles', () => {
  it('registers every configurable role once, consumers before the collector that feeds them', () => {
    const order = ROLE_REGISTRY.map((r) => r.role)
    expect([...order].sort()).toEqual(['api', 'collector', 'delivery', 'detector', 'writer'])
    for (const consumer of ['writer', 'delivery', 'detector'] as const) expect(order.indexOf(consumer)).toBeLessThan(order.indexOf('collector'))
    expect(order.indexOf('delivery')).toBeLessThan(order.indexOf('detector'))
  })

  it('runs delivery as a role of its own: alerts on the bus reach the webhook, /api/deliveries answers admin keys only', async () => {
    const receiver = await startReceiver()
    running.push(receiver)
    const t = await startTestApp({
      roles: ['delivery'],
      auth: KEYS,
      alerts: { sinks: [{ name: 'hook', type: 'webhook', url: `${receiver.url}/hook`, secret: 'whsec-roles-test' }] },
    })
    running.push(t)
    expect(t.app.store).toBeUndefined()
    expect(t.app.readiness()).toEqual({ ready: true, checks: { delivery: true } })

    const alert = makeAlert()
    await t.app.bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    await waitFor(() => receiver.received.length === 1, 10_000, 'the webhook delivery')
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ type: 'alert', alert_id: alert.alert_id })

    const tenant = await getJson(`${t.app.url}/api/deliveries`, 'acme-key')
    expect(tenant).toEqual({ status: 401, body: { code: 'PP_ERR_UNAUTHORIZED', message: 'delivery endpoints need an admin key (tenant "*")' } })
    expect((await getJson(`${t.app.url}/api/deliveries`)).status).toBe(401)
    const admin = await getJson(`${t.app.url}/api/deliveries?sink=hook`, 'admin-key')
    expect(admin.status).toBe(200)
    expect(admin.body.sinks[0]).toMatchObject({ name: 'hook', type: 'webhook' })
    expect((await getJson(`${t.app.url}/api/deliveries?sink=nope`, 'admin-key')).body).toEqual({ code: 'PP_ERR_NOT_FOUND', message: 'sink: no sink named "nope"' })
    // A misspelt filter is refused, never dropped: `sinc` would otherwise redeliver every sink's dead letters.
    const misspelt = await fetch(`${t.app.url}/api/deliveries/redeliver`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ sinc: 'hook' }),
    })
    expect(misspelt.status).toBe(400)
    expect(await misspelt.json()).toEqual({ code: 'PP_ERR_BAD_REQUEST', message: 'body/sinc: unknown field (expected one of sink, id)' })
    expect((await getJson(`${t.app.url}/api/deliveries?colour=red`, 'admin-key')).body.message).toBe('querystring/colour: unknown parameter (expected one of sink, limit)')
  })

  it('refuses an in-process detector without delivery while sinks are configured: its alerts could never be sent', async () => {
    const sinks = { sinks: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' }] }
    await expect(startTestApp({ roles: ['collector', 'writer', 'detector', 'api'], alerts: sinks })).rejects.toMatchObject({
      code: 'PP_ERR_CONFIG_INVALID',
      message: expect.stringMatching(/^roles: the detector runs without "delivery" while alerts.sinks \(hook\) are configured/),
    })
  })

  it('answers an error on the operations routes like every other route, details in the log only', async () => {
    const telemetry = capturedTelemetry()
    new Gauge({ name: 'privpath_test_broken', help: 'a gauge whose collection fails', registers: [telemetry.registry], collect() {
      throw new Error('secret internal detail')
    } })
    const t = await startTestApp({ roles: ['detector'] }, { telemetry })
    running.push(t)
    const metrics = await getJson(`${t.app.url}/metrics`)
    expect(metrics).toEqual({ status: 500, body: { code: 'PP_ERR_INTERNAL', message: 'internal error' } })
    expect(telemetry.lines.some((line) => line.includes('HTTP request failed') && line.includes('secret internal detail'))).toBe(true)
  })

  it('serves no delivery endpoints and opens no store where delivery and the store roles do not run', async () => {
    const t = await startTestApp({ roles: ['detector'], auth: KEYS })
    running.push(t)
    expect(t.app.store).toBeUndefined()
    expect(t.app.readiness()).toEqual({ ready: true, checks: { detector: true } })
    expect((await getJson(`${t.app.url}/api/deliveries`, 'admin-key')).status).toBe(404)
    expect((await getJson(`${t.app.url}/api/tasks`, 'admin-key')).status).toBe(404)
    expect((await getJson(`${t.app.url}/healthz`)).body).toEqual({ status: 'ok' })
  })
})
