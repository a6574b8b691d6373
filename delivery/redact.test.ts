import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type CoreTopics, MemoryBus } from '../core/bus/index.js'
import { validateConfig } from '../core/config/load.js'
import { startDelivery } from './service.js'
import { secretScrubber, sinkSecrets } from './redact.js'
import { capturedTelemetry, makeAlert, startReceiver } from '../testkit/delivery.js'
import { waitFor } from '../testkit/wait.js'

const SLACK_URL = 'https://hooks.slack.com/services/T0001/B0001/abcdefSECRET'
const TOKEN = 'xoxb-1111-2222-secrettoken'
const HMAC = 'hmac-very-secret'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

describe('redaction', () => {
  it('scrubs whole URLs, their paths and tokens from free text', () => {
    const scrub = secretScrubber(sinkSecrets(validateConfig({ alerts: { sinks: [{ name: 's', type: 'slack', url: SLACK_URL, token: TOKEN, channel: 'c' }] } }).alerts.sinks))
    expect(scrub(`POST ${SLACK_URL} failed`)).toBe('POST [redacted] failed')
    expect(scrub('no_service for /services/T0001/B0001/abcdefSECRET')).toBe('no_service for [redacted]')
    expect(scrub(`bad token ${TOKEN}`)).toBe('bad token [redacted]')
  })

  it('keeps secrets out of logs and dead letters when a receiver echoes them back', async () => {
    const receiver = await startReceiver((req) => ({ status: 400, body: `rejected ${req.url} with ${HMAC}` }))
    const down = 'http://127.0.0.1:9/closed-port-secret-path'
    const bus = new MemoryBus<CoreTopics>()
    const telemetry = capturedTelemetry()
    const config = validateConfig({
      alerts: {
        sinks: [
          { name: 'echo', type: 'webhook', url: `${receiver.url}/echo-secret-path`, secret: HMAC },
          { name: 'down', type: 'webhook', url: down, max_attempts: 2, backoff_base_ms: 5 },
        ],
      },
    })
    const delivery = startDelivery({ bus, config, dataDir: mkdtempSync(join(tmpdir(), 'pp-redact-')), telemetry })
    await delivery.ready
    cleanup.push(() => receiver.close(), async () => {
      await delivery.stop()
      await bus.close()
    })
    const alert = makeAlert()
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    await waitFor(() => delivery.stats().sinks.every((s) => s.dead === 1), 5_000, 'both dead letters')
    const dead = await delivery.deadLetters()
    const text = telemetry.lines.join('\n') + JSON.stringify(dead)
    expect(text).toContain('ECONNREFUSED')
    expect(text).toContain('rejected [redacted] with [redacted]')
    for (const secret of [HMAC, 'echo-secret-path', 'closed-port-secret-path']) expect(text).not.toContain(secret)
  })
})
