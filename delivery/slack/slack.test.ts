import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import { validateConfig } from '../../core/config/load.js'
import { startDelivery } from '../service.js'
import { type Answer, capturedTelemetry, makeAlert, type Received, repeatOf, startReceiver } from '../../testkit/delivery.js'
import { waitFor } from '../../testkit/wait.js'
import { alertMessage, digestMessage, escapeMrkdwn, humaniseDuration } from './message.js'

const TOKEN = 'xoxb-test-token-0123456789'
const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text: string }> }

/** Checks what Slack itself would reject: a header of plain_text, sections with text or fields, mrkdwn contexts. */
function assertBlockKit(blocks: Block[]): void {
  expect(blocks[0].type).toBe('header')
  expect(blocks[0].text?.type).toBe('plain_text')
  expect(blocks[0].text!.text.length).toBeLessThanOrEqual(150)
  for (const block of blocks) {
    expect(['header', 'section', 'context', 'divider']).toContain(block.type)
    if (block.type === 'section') expect(Boolean(block.text) || Boolean(block.fields?.length)).toBe(true)
    if (block.fields) expect(block.fields.length).toBeLessThanOrEqual(10)
  }
}

const allText = (blocks: Block[]) =>
  blocks
    .flatMap((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text)])
    .join('\n')

/** A chat.postMessage look-alike: checks auth and body, answers with increasing `ts`. */
async function slackApi(script: (body: Record<string, unknown>, index: number) => Answer | undefined = () => undefined) {
  let next = 1
  return startReceiver((request: Received, index) => {
    if (request.url !== '/api/chat.postMessage') return { status: 404, body: 'unknown method' }
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 200, body: JSON.stringify({ ok: false, error: 'invalid_auth' }) }
    const body = JSON.parse(request.body) as Record<string, unknown>
    const scripted = script(body, index)
    if (scripted) return scripted
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, channel: 'C1', ts: `1700000000.00000${next++}` }) }
  })
}

function botConfig(apiUrl: string, extra: Record<string, unknown> = {}) {
  return validateConfig({
    server: { public_url: 'https://privpath.example' },
    alerts: {
      sinks: [{ name: 'slack', type: 'slack', token: TOKEN, channel: '#alerts', api_url: `${apiUrl}/api`, backoff_base_ms: 10, backoff_max_ms: 50, ...extra }],
    },
  })
}

async function run(config: ReturnType<typeof botConfig>, dataDir: string) {
  const bus = new MemoryBus<CoreTopics>()
  const telemetry = capturedTelemetry()
  const delivery = startDelivery({ bus, config, dataDir, telemetry })
  await delivery.ready
  const stop = async () => {
    await delivery.stop()
    await bus.close()
  }
  return { bus, delivery, telemetry, stop }
}

describe('slack message', () => {
  it('renders header, fields, summary, path, frameworks, console link and repeat line', () => {
    const alert = { ...makeAlert(), count: 4, last_seen: makeAlert().first_seen + 3_725_000 }
    const message = alertMessage(alert, 'https://pp.example/')
    const blocks = message.blocks as Block[]
    assertBlockKit(blocks)
    expect(blocks[0].text?.text).toBe('HIGH: Cross-tenant tool routing')
    const text = allText(blocks)
    for (const part of ['*Tenant*\nacme', '*Task*\ntask-1', '*Agent*\nagent-7', 'owasp_agentic:T3, owasp_nhi:NHI5', 'seen 4 times in 1h 2m']) {
      expect(text).toContain(part)
    }
    expect(text).toContain("prompt → tool 'db.query' → tenant 'globex'")
    expect(text).toContain('<https://pp.example/tasks/task-1?tenant=acme|Open task task-1 in the console>')
    expect(message.text).toContain('seen 4 times')
  })

  it('escapes agent-controlled text so it cannot mention channels or forge links', () => {
    const alert = makeAlert({ summary: 'hi <!channel> <https://evil.example|click> & bye' })
    const text = allText(alertMessage(alert, '').blocks as Block[])
    expect(text).toContain('hi &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; bye')
    expect(text).not.toContain('<!channel>')
    expect(escapeMrkdwn('<a>&')).toBe('&lt;a&gt;&amp;')
  })

  it('omits the link without a public URL and humanises durations', () => {
    expect(allText(alertMessage(makeAlert(), '').blocks as Block[])).not.toContain('/tasks/')
    expect(humaniseDuration(0)).toBe('0s')
    expect(humaniseDuration(95_000)).toBe('1m 35s')
    expect(humaniseDuration(7_260_000)).toBe('2h 1m')
    expect(humaniseDuration(90_000_000)).toBe('1d 1h')
  })

  it('renders a digest with every held alert up to the line limit and counts the rest', () => {
    const items = Array.from({ length: 25 }, (_, i) => ({ ...makeAlert({ task_id: `t${i}` }), alert_id: `a${i}` }))
    const message = digestMessage({ digest_id: 'd', route: 'noisy', window_start: 0, window_end: 60_000, total: 30, items, omitted: 2 }, 'https://pp.example')
    assertBlockKit(message.blocks as Block[])
    const text = allText(message.blocks as Block[])
    expect(message.blocks[0]).toMatchObject({ text: { text: 'Digest: 30 alerts held by route noisy' } })
    expect(text).toContain('<https://pp.example/tasks/t0?tenant=acme|t0>')
    expect(text).toContain('…and 7 more')
  })
})

describe('slack delivery (bot token)', () => {
  it('posts the first version, replies to repeats in its thread, and keeps the thread across a restart', async () => {
    const api = await slackApi()
    cleanup.push(() => api.close())
    const dataDir = mkdtempSync(join(tmpdir(), 'pp-slack-'))
    const config = botConfig(api.url)
    const first = await run(config, dataDir)
    const v1 = makeAlert()
    await first.bus.publish('alerts', [{ key: v1.alert_id, value: v1 }])
    await waitFor(() => api.received.length === 1, 5_000, 'first message')
    const v2 = repeatOf(v1, 90_000)
    await first.bus.publish('alerts', [{ key: v1.alert_id, value: v2 }])
    await waitFor(() => api.received.length === 2 && first.delivery.pending().length === 0, 5_000, 'thread reply')
    await first.stop()

    const second = await run(config, dataDir)
    cleanup.push(second.stop)
    const v3 = repeatOf(v2, 30_000)
    await second.bus.publish('alerts', [{ key: v1.alert_id, value: v3 }])
    await waitFor(() => api.received.length === 3, 5_000, 'reply after restart')

    const bodies = api.received.map((r) => JSON.parse(r.body) as { channel: string; thread_ts?: string; blocks: Block[]; text: string })
    expect(bodies[0].channel).toBe('#alerts')
    expect(bodies[0].thread_ts).toBeUndefined()
    assertBlockKit(bodies[0].blocks)
    expect(allText(bodies[0].blocks)).toContain('<https://privpath.example/tasks/task-1?tenant=acme|')
    expect(bodies[1].thread_ts).toBe('1700000000.000001')
    expect(bodies[1].text).toContain('seen 2 times in 1m 30s')
    assertBlockKit(bodies[1].blocks)
    expect(bodies[2].thread_ts).toBe('1700000000.000001')
    expect(bodies[2].text).toContain('seen 3 times in 2m')
    for (const request of api.received) expect(request.body).not.toContain(TOKEN)

    const other = makeAlert({ dedup_key: 'task-2', task_id: 'task-2' })
    await second.bus.publish('alerts', [{ key: other.alert_id, value: other }])
    await waitFor(() => api.received.length === 4, 5_000, 'second incident')
    expect(JSON.parse(api.received[3].body).thread_ts).toBeUndefined()
  })

  it('dead-letters Slack errors no retry can fix and retries ratelimited with Retry-After', async () => {
    let calls = 0
    const api = await slackApi((body) => {
      calls++
      if (JSON.stringify(body).includes('task-bad')) return { status: 200, body: JSON.stringify({ ok: false, error: 'channel_not_found' }) }
      if (calls === 1) return { status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify({ ok: false, error: 'ratelimited' }) }
      return undefined
    })
    cleanup.push(() => api.close())
    const { bus, delivery, stop, telemetry } = await run(botConfig(api.url), mkdtempSync(join(tmpdir(), 'pp-slack-')))
    cleanup.push(stop)
    const good = makeAlert()
    const bad = makeAlert({ dedup_key: 'bad', task_id: 'task-bad' })
    await bus.publish('alerts', [{ key: good.alert_id, value: good }])
    await waitFor(() => calls === 1, 5_000, 'rate limited attempt')
    await bus.publish('alerts', [{ key: bad.alert_id, value: bad }])
    await waitFor(() => delivery.stats().sinks[0].dead === 1 && delivery.stats().sinks[0].counters.delivered === 1, 5_000, 'outcomes')
    const [dead] = await delivery.deadLetters()
    expect(dead).toMatchObject({ id: bad.alert_id, attempts: 1 })
    expect(dead.last_error).toContain('channel_not_found')
    expect(telemetry.lines.join('\n')).not.toContain(TOKEN)
  })
})

describe('slack delivery (lost thread)', () => {
  it('starts a new thread when the first message of the incident is gone', async () => {
    let lost = false
    const api = await slackApi((body) => (lost && body.thread_ts === '1700000000.000001' ? { status: 200, body: JSON.stringify({ ok: false, error: 'thread_not_found' }) } : undefined))
    cleanup.push(() => api.close())
    const { bus, delivery, stop } = await run(botConfig(api.url), mkdtempSync(join(tmpdir(), 'pp-slack-')))
    cleanup.push(stop)
    const v1 = makeAlert()
    const v2 = repeatOf(v1)
    const v3 = repeatOf(v2)
    await bus.publish('alerts', [{ key: v1.alert_id, value: v1 }])
    await waitFor(() => delivery.stats().sinks[0].counters.delivered === 1, 5_000, 'first')
    lost = true
    await bus.publish('alerts', [{ key: v1.alert_id, value: v2 }])
    await waitFor(() => delivery.stats().sinks[0].counters.delivered === 2, 5_000, 'second')
    await bus.publish('alerts', [{ key: v1.alert_id, value: v3 }])
    await waitFor(() => delivery.stats().sinks[0].counters.delivered === 3, 5_000, 'third')
    const threads = api.received.map((r) => (JSON.parse(r.body) as { thread_ts?: string }).thread_ts)
    // v2: rejected in the lost thread, then posted top level (ts …2); v3 replies in the new thread.
    expect(threads).toEqual([undefined, '1700000000.000001', undefined, '1700000000.000002'])
    expect(delivery.stats().sinks[0].dead).toBe(0)
  })
})

describe('slack delivery (incoming webhook)', () => {
  it('posts Block Kit to the webhook URL without threads', async () => {
    const hook = await startReceiver()
    cleanup.push(() => hook.close())
    const config = validateConfig({
      server: { public_url: 'https://privpath.example' },
      alerts: { sinks: [{ name: 'slack', type: 'slack', url: `${hook.url}/services/T000/B000/XXXX` }] },
    })
    const { bus, delivery, stop } = await run(config, mkdtempSync(join(tmpdir(), 'pp-slack-')))
    cleanup.push(stop)
    const v1 = makeAlert()
    await bus.publish('alerts', [{ key: v1.alert_id, value: v1 }])
    await bus.publish('alerts', [{ key: v1.alert_id, value: repeatOf(v1) }])
    await waitFor(() => delivery.stats().sinks[0].counters.delivered === 2, 5_000, 'both versions')
    expect(hook.received.map((r) => r.url)).toEqual(['/services/T000/B000/XXXX', '/services/T000/B000/XXXX'])
    const bodies = hook.received.map((r) => JSON.parse(r.body) as { blocks: Block[]; thread_ts?: string })
    assertBlockKit(bodies[0].blocks)
    expect(bodies[1].thread_ts).toBeUndefined()
    expect(allText(bodies[1].blocks)).toContain('seen 2 times in 1m')
  })
})
