import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { validateConfig } from '../../core/config/load.js'
import { newEntry } from '../../delivery/outbox/entry.js'
import { OutboxStore } from '../../delivery/outbox/store.js'
import { makeAlert, startReceiver } from '../../testkit/delivery.js'
import { verifySignature } from '../../delivery/webhook/payload.js'
import { redeliverOffline, register, runAlertTest } from './alerts.js'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

describe('privpath alerts test', () => {
  it('sends a signed test alert to each sink and reports failures without their secrets', async () => {
    const good = await startReceiver()
    const bad = await startReceiver(() => ({ status: 500, body: 'boom' }))
    cleanup.push(() => good.close(), () => bad.close())
    const config = validateConfig({
      alerts: {
        sinks: [
          { name: 'good', type: 'webhook', url: `${good.url}/in/secret-path-1234`, secret: 'hmac-secret-abcd' },
          { name: 'bad', type: 'webhook', url: `${bad.url}/in/other-secret-5678` },
        ],
      },
    })
    const lines: string[] = []
    expect(await runAlertTest(config, {}, (l) => lines.push(l))).toBe(1)
    expect(lines[0]).toMatch(/^ok {6}good \(webhook\) in \d+ ms$/)
    expect(lines[1]).toMatch(/^FAILED {2}bad \(webhook\) retryable: webhook sink "bad" answered HTTP 500: boom$/)
    const body = JSON.parse(good.received[0].body)
    expect(body).toMatchObject({ type: 'alert', test: true, rule: { id: 'privpath_test' } })
    expect(verifySignature('hmac-secret-abcd', good.received[0].body, String(good.received[0].headers['x-privpath-signature']))).toBe(true)
    expect(lines.join('\n')).not.toMatch(/secret-path|other-secret|hmac-secret/)

    lines.length = 0
    expect(await runAlertTest(config, { sink: 'good' }, (l) => lines.push(l))).toBe(0)
    expect(lines).toHaveLength(1)
    expect(await runAlertTest(config, { sink: 'nope' }, (l) => lines.push(l))).toBe(2)
    expect(lines.at(-1)).toBe('unknown sink "nope" (sinks: good, bad)')
  })
})

describe('privpath alerts redeliver', () => {
  async function deadLetters(dataDir: string) {
    const hook = await OutboxStore.open(join(dataDir, 'outbox', 'hook'))
    const slack = await OutboxStore.open(join(dataDir, 'outbox', 'slack'))
    const a = makeAlert()
    const b = makeAlert({ dedup_key: 'b' })
    await hook.write('dead', { ...newEntry('hook', { kind: 'alert', alert: a }, [], 1), attempts: 12, dead_at: 2 })
    await hook.write('dead', { ...newEntry('hook', { kind: 'alert', alert: b }, [], 1), attempts: 12, dead_at: 2 })
    await slack.write('dead', { ...newEntry('slack', { kind: 'alert', alert: a }, [], 1), attempts: 12, dead_at: 2 })
    return { hook, slack, a, b }
  }

  it('moves dead letters back to pending in a stopped server’s data directory, by sink and id', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-cli-'))
    const { hook, slack, a } = await deadLetters(dataDir)
    expect(await redeliverOffline(dataDir, { sink: 'hook', id: a.alert_id })).toEqual({ hook: 1 })
    expect((await hook.list('pending')).map((e) => [e.id, e.attempts])).toEqual([[a.alert_id, 0]])
    expect(await hook.list('dead')).toHaveLength(1)
    expect(await redeliverOffline(dataDir, {})).toEqual({ hook: 1, slack: 1 })
    expect(await slack.list('dead')).toHaveLength(0)
    await expect(redeliverOffline(dataDir, { sink: 'pager' })).rejects.toThrow(/no outbox for sink "pager".*found: hook, slack/)
  })

  it('refuses to touch an outbox a live process owns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-cli-'))
    mkdirSync(join(dataDir, 'outbox'), { recursive: true })
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    cleanup.push(() => void sleeper.kill('SIGKILL'))
    writeFileSync(join(dataDir, 'outbox', '.lock'), String(sleeper.pid))
    await expect(redeliverOffline(dataDir, {})).rejects.toThrow(`owned by running process ${sleeper.pid}`)
  })

  it('is wired as a sub-command', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-cli-'))
    await deadLetters(dataDir)
    const program = new Command().exitOverride()
    register(program)
    const out: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    try {
      await program.parseAsync(['node', 'privpath', 'alerts', 'dead-letters', '--data-dir', dataDir])
      await program.parseAsync(['node', 'privpath', 'alerts', 'redeliver', '--data-dir', dataDir, '--sink', 'hook'])
    } finally {
      spy.mockRestore()
    }
    expect(out.join('')).toContain('3 dead letters')
    expect(out.join('')).toContain('hook: 2 redelivered')
  })
})
