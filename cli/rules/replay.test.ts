import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validateConfig } from '../../core/config/load.js'
import type { PrivpathEvent } from '../../core/event.js'
import { insertEvents, makeEvent, openTestStore, type TestStore } from '../../testkit/store.js'
import type { CommandIO } from './io.js'
import { replayCommand, type ReplayOptions, type ReplayReport } from './replay.js'

const T0 = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000
const iso = (ms: number) => new Date(ms).toISOString()
let store: TestStore

function capture(tty = false): CommandIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { isTTY: tty, write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  }
}

function config(extra: Record<string, unknown> = {}) {
  return validateConfig({ store: { data_dir: store.dir }, ...extra })
}

async function replay(options: Partial<ReplayOptions>, io = capture(), extra: Record<string, unknown> = {}) {
  const code = await replayCommand({ from: iso(T0 - 1000), to: iso(T0 + 60_000), json: true, ...options }, { config: config(extra), client: store.client, io })
  return { code, io, report: options.json === false ? undefined : (JSON.parse(io.out()) as ReplayReport) }
}

const ruleIds = (report: ReplayReport | undefined) => report!.alerts.map((a) => a.rule_id).sort()

beforeAll(async () => {
  store = await openTestStore('privpath-replay-')
  const reuse = makeEvent({ kind: 'credential_used', task_id: 't2', credential_id: 'c1', ts: T0 + 10_000, span_id: 's-use' })
  const events: PrivpathEvent[] = [
    // Before the range: would be standing privilege if replay read outside [from, to).
    makeEvent({ kind: 'credential_issued', task_id: 't0', credential_id: 'c0', ts: T0 - 3_600_000 }),
    makeEvent({ kind: 'task_start', task_id: 't1', ts: T0 }),
    makeEvent({ kind: 'credential_issued', task_id: 't1', credential_id: 'c1', ts: T0 + 1000, credential_expires_at: T0 + 7_200_000 }),
    makeEvent({ kind: 'tool_invocation', task_id: 't1', tool_name: 'crm.lookup', target_tenant: 'globex', ts: T0 + 2000 }),
    makeEvent({ kind: 'task_end', task_id: 't1', ts: T0 + 3000 }),
    makeEvent({ kind: 'tool_invocation', task_id: 't9', tenant_id: 'globex', tool_name: 'crm.lookup', target_tenant: 'acme', ts: T0 + 5000 }),
    reuse,
    // Privileged call without an allow: its 10 s absence window is still open at the last event.
    makeEvent({ kind: 'tool_invocation', task_id: 't3', tool_name: 'shell.run', ts: T0 + 20_000 }),
  ]
  await insertEvents(store.client, events)
  // The same span delivered twice (collector retry): one event, not two.
  await insertEvents(store.client, [reuse])
})

afterAll(async () => {
  await store.destroy()
})

describe('rules replay', () => {
  const EXPECTED = [
    'credential-not-revoked-at-task-end',
    'credential-reused-beyond-task',
    'credential-used-after-task-end',
    'cross-tenant-tool-routing',
    'cross-tenant-tool-routing',
    'standing-privilege',
  ]

  it('replays the range in order through the built-in rules and counts alerts per rule', async () => {
    const { code, report } = await replay({})
    expect(code).toBe(0)
    expect(report!.events).toBe(7)
    expect(ruleIds(report)).toEqual(EXPECTED)
    const reuse = report!.alerts.find((a) => a.rule_id === 'credential-reused-beyond-task')!
    expect(reuse.count).toBe(1)
    expect(reuse.summary).toContain('credential c1 bound to task t1 was used in task t2')
    expect(report!.rules.find((r) => r.rule_id === 'cross-tenant-tool-routing')).toEqual({ rule_id: 'cross-tenant-tool-routing', alerts: 2, firings: 2 })
    expect(report!.pending).toBe(1)
    expect(report!.alerts.map((a) => a.first_seen)).toEqual([...report!.alerts.map((a) => a.first_seen)].sort((a, b) => a - b))
  })

  it('gives the same result however small the pages are', async () => {
    const small = await replay({ pageSize: 1 })
    const large = await replay({ pageSize: 10_000 })
    expect(small.report!.events).toBe(7)
    const stable = (r: ReplayReport | undefined) => r!.alerts.map(({ updated_at: _wallClock, ...rest }) => rest)
    expect(stable(small.report)).toEqual(stable(large.report))
  })

  it('filters by rule and by tenant', async () => {
    const byRule = await replay({ rule: ['cross-tenant-tool-routing'] })
    expect(ruleIds(byRule.report)).toEqual(['cross-tenant-tool-routing', 'cross-tenant-tool-routing'])
    expect(byRule.report!.rules).toEqual([{ rule_id: 'cross-tenant-tool-routing', alerts: 2, firings: 2 }])
    const byTenant = await replay({ tenant: 'globex' })
    expect(byTenant.report!.events).toBe(1)
    expect(byTenant.report!.alerts.map((a) => `${a.rule_id} ${a.tenant_id}/${a.task_id}`)).toEqual(['cross-tenant-tool-routing globex/t9'])
  })

  it('prints alerts, a per-rule table and a closing line for people', async () => {
    const io = capture()
    await replay({ json: false }, io)
    const lines = io.out().trimEnd().split('\n')
    expect(lines.filter((l) => l.includes('  critical  cross-tenant-tool-routing  '))).toHaveLength(2)
    expect(io.out()).toMatch(/credential-reused-beyond-task\s+1\s+1/)
    expect(lines.at(-1)).toBe(`replayed 7 events from ${iso(T0 - 1000)} to ${iso(T0 + 60_000)}: 6 alerts from 5 rules (1 absence windows still open)`)
    expect(io.err()).toBe('')
  })

  it('draws a progress bar on a TTY only', async () => {
    const tty = capture(true)
    await replay({}, tty)
    expect(tty.err()).toContain('\r[')
    expect(tty.err()).toContain('100% 7/7 events')
    const piped = capture(false)
    await replay({}, piped)
    expect(piped.err()).toBe('')
  })

  it('rejects bad arguments before reading anything', async () => {
    await expect(replay({ rule: ['no-such-rule'] })).rejects.toThrow(/unknown rule id: no-such-rule/)
    await expect(replay({ from: iso(T0), to: iso(T0 - 1000) })).rejects.toThrow(/must be after --from/)
    await expect(replay({ from: 'yesterday' })).rejects.toThrow(/--from "yesterday" is not a time/)
  })

  it('names the store it cannot read', async () => {
    const io = capture()
    const options = { from: '1h', json: true }
    const missing = validateConfig({ store: { data_dir: store.dir, database: 'nowhere' } })
    await expect(replayCommand(options, { config: missing, client: store.client, io })).rejects.toThrow(
      new RegExp(`cannot read nowhere\\.events from ${store.dir}: .*privpath up`),
    )
  })

  it('accepts relative times', async () => {
    const { report } = await replay({ from: '4h', to: 'now' })
    expect(report!.events).toBe(7)
  })

  it('refuses --deliver without sinks or outside the embedded deployment', async () => {
    await expect(replay({ deliver: true })).rejects.toThrow(/alerts\.sinks/)
    const kafka = { bus: { kind: 'kafka', kafka: { brokers: ['127.0.0.1:9092'] } } }
    await expect(replay({ deliver: true }, capture(), kafka)).rejects.toThrow(/embedded deployment only/)
  })

  describe('--deliver', () => {
    let server: Server
    const received: Array<{ rule_id?: string; alert?: { rule_id: string } }> = []
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = ''
        req.on('data', (c: Buffer) => (body += c.toString()))
        req.on('end', () => {
          received.push(JSON.parse(body) as { alert?: { rule_id: string } })
          res.writeHead(200).end()
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('sends the replayed alerts through the configured sinks', async () => {
      const port = (server.address() as AddressInfo).port
      const alerts = {
        alerts: {
          sinks: [{ name: 'hook', type: 'webhook', url: `http://127.0.0.1:${port}/hook` }],
          routes: [{ name: 'all', sinks: ['hook'] }],
        },
      }
      const io = capture()
      const { report } = await replay({ deliver: true, rule: ['cross-tenant-tool-routing'] }, io, alerts)
      expect(report!.alerts).toHaveLength(2)
      expect(io.err()).toContain('delivered 2 alerts to the outbox; 0 still pending')
      expect(received).toHaveLength(2)
      expect(JSON.stringify(received)).toContain('cross-tenant-tool-routing')
    })
  })
})
