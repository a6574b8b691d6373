import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { getTask, listAlerts, listTasks } from '../api/queries/index.js'
import { type BatchHandler, type Bus, type BusMessage, type CoreTopics, type Subscription, type Topic, MemoryBus } from '../core/bus/index.js'
import type { PrivpathEvent } from '../core/event.js'
import { silentTelemetry, type Telemetry } from '../core/telemetry.js'
import { readNative } from '../testkit/native.js'
import { DB, makeAlert, makeEvent, openTestStore, type TestStore } from '../testkit/store.js'
import { startWriter, type InsertClient } from './index.js'

const admin = { tenant: '*' }
let store: TestStore

beforeAll(async () => {
  store = await openTestStore('privpath-writer-')
})
afterAll(async () => {
  await store.destroy()
})

/** Rows in an insert body: a Native block's, or JSON lines. */
function rowCount(query: string, body: Buffer): number {
  if (query.endsWith('FORMAT Native')) return readNative(body).rows.length
  return body.toString('utf8').split('\n').filter((line) => line !== '').length
}

/** The store's client, recording the size of every insert per table. */
function recordingClient(): { client: InsertClient; inserts: Record<string, number[]> } {
  const inserts: Record<string, number[]> = {}
  const client: InsertClient = {
    exec: (async (params: Parameters<InsertClient['exec']>[0] & { values: Readable }) => {
      const table = /^INSERT INTO [^.]+\.`?(\w+)`?/.exec(params.query)![1]
      const chunks: Buffer[] = []
      for await (const chunk of params.values) chunks.push(Buffer.from(chunk as Uint8Array))
      const body = Buffer.concat(chunks)
      ;(inserts[table] ??= []).push(rowCount(params.query, body))
      return store.client.exec({ ...params, values: Readable.from([body]) })
    }) as InsertClient['exec'],
  }
  return { client, inserts }
}

function messages(events: PrivpathEvent[]): BusMessage<PrivpathEvent>[] {
  return events.map((value) => ({ key: value.task_id, value }))
}

function taskEvents(taskId: string, tenant = 'acme'): PrivpathEvent[] {
  return [
    makeEvent({ kind: 'task_start', task_id: taskId, tenant_id: tenant, ts: 1_000 + Date.now(), span_id: `${taskId}-root` }),
    makeEvent({ kind: 'prompt', task_id: taskId, tenant_id: tenant, ts: 1_000.5 + Date.now(), span_id: `${taskId}-p` }),
    makeEvent({ kind: 'tool_invocation', task_id: taskId, tenant_id: tenant, ts: 1_001 + Date.now(), span_id: `${taskId}-t`, tool_name: 'db.query', agent_id: 'a1' }),
    makeEvent({ kind: 'task_end', task_id: taskId, tenant_id: tenant, ts: 1_002 + Date.now(), span_id: `${taskId}-root`, seq: 1 }),
  ]
}

interface Started {
  bus: MemoryBus<CoreTopics>
  inserts: Record<string, number[]>
  telemetry: Telemetry
  deadLetterDir: string
  stop(): Promise<void>
}

let runs = 0
async function start(batchRows: number, flushMs: number): Promise<Started> {
  const bus = new MemoryBus<CoreTopics>({ retry: { baseMs: 10, maxMs: 10 } })
  const { client, inserts } = recordingClient()
  const telemetry = silentTelemetry()
  const deadLetterDir = join(store.dir, `dead-letter-${++runs}`)
  const writer = await startWriter({ bus, client, database: DB, telemetry, batchRows, flushMs, deadLetterDir })
  return {
    bus,
    inserts,
    telemetry,
    deadLetterDir,
    stop: async () => {
      await writer.stop()
      await bus.close()
    },
  }
}

describe('writer over the in-process bus', () => {
  it('stores published events and alerts; publish resolves only after the insert', async () => {
    const w = await start(1_000, 0)
    await w.bus.publish('events', messages(taskEvents('e2e-1')))
    const detail = await getTask(store.client, DB, 'e2e-1', admin)
    expect(detail?.events.map((e) => e.kind)).toEqual(['task_start', 'prompt', 'tool_invocation', 'task_end'])
    expect(detail?.task).toMatchObject({ counts: { task_start: 1, prompt: 1, tool_invocation: 1, task_end: 1 }, event_count: 4, tools: ['db.query'] })

    const alert = makeAlert({ rule_id: 'writer-e2e', dedup_key: 'k', task_id: 'e2e-1' })
    await w.bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    expect((await listAlerts(store.client, DB, { rule: 'writer-e2e' }, admin)).alerts).toEqual([alert])
    await w.stop()
  })

  it('stores every event field exactly as published, times to the microsecond', async () => {
    const w = await start(1_000, 0)
    // Recent, so the events TTL keeps it; the fraction is a whole number of microseconds.
    const now = Math.floor(Date.now())
    const full = makeEvent({
      kind: 'credential_used',
      task_id: 'e2e-exact',
      ts: now + 0.457,
      seq: 2,
      observed_at: now + 7,
      credential_expires_at: now + 900_001,
      agent_id: 'a1',
      agent_name: 'Agent "one"',
      credential_id: 'cred-1',
      credential_scopes: ['read:db', 'write:db'],
      tool_arguments: '{"sql":"select \'x\'\\n\\t"}',
      content: 'line 1\nline 2\ttab \\ backslash ünïcode 🙂',
      flags: ['secret_redacted'],
      attributes: { 'gen_ai.system': 'openai', 'weird key\n': 'value\twith "quotes"' },
      status: 'error',
      error: 'denied',
    })
    const sparse = makeEvent({ kind: 'prompt', task_id: 'e2e-exact', ts: now + 1.001, credential_expires_at: null })
    await w.bus.publish('events', messages([full, sparse]))
    expect((await getTask(store.client, DB, 'e2e-exact', admin))?.events).toEqual([full, sparse])
    await w.stop()
  })

  it('leaves no duplicate in events or task counts when events are replayed', async () => {
    const w = await start(1_000, 0)
    const events = taskEvents('e2e-replay')
    await w.bus.publish('events', messages(events))
    await w.bus.publish('events', messages(events))
    await w.bus.publish('events', messages([events[1], events[2]]))
    const detail = await getTask(store.client, DB, 'e2e-replay', admin)
    expect(detail?.events.map((e) => e.event_id)).toEqual(events.map((e) => e.event_id))
    expect(detail?.task.counts).toEqual({ task_start: 1, prompt: 1, tool_invocation: 1, task_end: 1 })
    const [listed] = (await listTasks(store.client, DB, { tenant: 'acme' }, admin)).tasks.filter((t) => t.task_id === 'e2e-replay')
    expect(listed.event_count).toBe(4)
    await w.stop()
  })

  it('inserts full batches by size and the remainder on stop', async () => {
    const w = await start(100, 60_000)
    const events = Array.from({ length: 250 }, (_, i) => makeEvent({ kind: 'reasoning_step', task_id: 'e2e-size', seq: i, span_id: 's', ts: Date.now() }))
    const published = w.bus.publish('events', messages(events))
    // Well before flushMs: only full batches can have been inserted by then.
    await vi.waitFor(() => expect(w.inserts.events).toEqual([100, 100]), { timeout: 10_000 })
    await w.stop()
    await published
    expect(w.inserts.events).toEqual([100, 100, 50])
    expect((await getTask(store.client, DB, 'e2e-size', admin))?.events).toHaveLength(250)
  })

  it('inserts a partial batch once flushMs has passed', async () => {
    const w = await start(1_000, 150)
    // Only the flush timer's clock is faked; the store and the bus run on promises.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let published = false
      const publishing = w.bus.publish('events', messages(taskEvents('e2e-time').slice(0, 2))).then(() => (published = true))
      await vi.advanceTimersByTimeAsync(0)
      const buffered = await w.telemetry.registry.getSingleMetric('privpath_writer_buffered_rows')!.get()
      expect(buffered.values).toContainEqual({ value: 2, labels: { table: 'events' } })
      await vi.advanceTimersByTimeAsync(149)
      expect(w.inserts.events).toBeUndefined()
      expect(published).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      await publishing
      expect(w.inserts.events).toEqual([2])
    } finally {
      vi.useRealTimers()
    }
    await w.stop()
  })

  it('inserts alerts at once while events wait for the flush interval', async () => {
    const w = await start(1_000, 60_000)
    const alert = makeAlert({ rule_id: 'writer-immediate', dedup_key: 'k', task_id: 'e2e-immediate' })
    const events = w.bus.publish('events', messages(taskEvents('e2e-immediate').slice(0, 1)))
    await w.bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    expect(w.inserts.alerts).toEqual([1])
    expect(w.inserts.events ?? []).toEqual([])
    await w.stop()
    await events
  })

  it('stores an alert on its own client while an events insert is still running', async () => {
    const bus = new MemoryBus<CoreTopics>({ retry: { baseMs: 10, maxMs: 10 } })
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const stalled: InsertClient = {
      exec: (async (params: Parameters<InsertClient['exec']>[0]) => {
        await held
        return store.client.exec(params)
      }) as InsertClient['exec'],
    }
    const alerts = recordingClient()
    const writer = await startWriter({
      bus, client: stalled, alertClient: alerts.client, database: DB, telemetry: silentTelemetry(), batchRows: 1_000, flushMs: 0, deadLetterDir: join(store.dir, 'dl-alert-client'),
    })
    const events = bus.publish('events', messages(taskEvents('e2e-own-connection')))
    const alert = makeAlert({ rule_id: 'writer-own-connection', dedup_key: 'k', task_id: 'e2e-own-connection' })
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    expect(alerts.inserts).toEqual({ alerts: [1] })
    expect((await listAlerts(store.client, DB, { rule: 'writer-own-connection' }, admin)).alerts).toEqual([alert])
    release()
    await events
    expect((await getTask(store.client, DB, 'e2e-own-connection', admin))?.events).toHaveLength(4)
    await writer.stop()
    await bus.close()
  })

  it('dead-letters rows that cannot be encoded, naming the column, and stores the rest', async () => {
    const w = await start(1_000, 0)
    const good = taskEvents('e2e-bad')
    // JSON rows carried these to ClickHouse, which rejected them; a Native block has no way to say them, so the encoder refuses them.
    const mistyped = { ...makeEvent({ kind: 'prompt', task_id: 'e2e-bad', span_id: 'bad' }), seq: 'not a number' } as unknown as PrivpathEvent
    const notString = { ...makeEvent({ kind: 'prompt', task_id: 'e2e-bad', span_id: 'num' }), tool_name: 42 } as unknown as PrivpathEvent
    const unencodable = makeEvent({ kind: 'prompt', task_id: 'e2e-bad', span_id: 'nan', ts: Number.NaN })
    await w.bus.publish('events', messages([good[0], mistyped, good[1], unencodable, good[2], notString, good[3]]))
    expect((await getTask(store.client, DB, 'e2e-bad', admin))?.events.map((e) => e.event_id)).toEqual(good.map((e) => e.event_id))
    const letters = readFileSync(join(w.deadLetterDir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(letters.map((l) => [l.value.span_id, l.reason]).sort()).toEqual([
      ['bad', 'unencodable: seq is not a UInt32: not a number'],
      ['nan', 'unencodable: ts is not a finite time: NaN'],
      ['num', 'unencodable: tool_name is not a string: number'],
    ])
    const counted = await w.telemetry.registry.getSingleMetric('privpath_writer_dead_letter_rows_total')!.get()
    expect(counted.values.reduce((n, v) => n + v.value, 0)).toBe(3)
    await w.stop()
  })
})

/** A bus that hands deliveries to the handler concurrently, as a Kafka consumer with several partitions does. */
class ConcurrentBus implements Bus<CoreTopics> {
  readonly kind = 'kafka' as const
  readonly handlers = new Map<Topic, BatchHandler<unknown>>()
  async publish(): Promise<void> {
    throw new Error('not used')
  }
  async subscribe<K extends keyof CoreTopics>(topic: K, _options: unknown, handler: BatchHandler<CoreTopics[K]>): Promise<Subscription> {
    this.handlers.set(topic, handler as BatchHandler<unknown>)
    return { caughtUp: Promise.resolve(), close: async () => void this.handlers.delete(topic) }
  }
  async close(): Promise<void> {}
}

describe('writer with concurrent deliveries', () => {
  it('coalesces deliveries that arrive while a batch fills into one insert', async () => {
    const bus = new ConcurrentBus()
    const { client, inserts } = recordingClient()
    const writer = await startWriter({ bus, client, database: DB, telemetry: silentTelemetry(), batchRows: 1_000, flushMs: 100, deadLetterDir: join(store.dir, 'dl-concurrent') })
    const handler = bus.handlers.get('events')!
    const context = { topic: 'events' as const, partitions: [0] }
    await Promise.all([0, 1, 2].map((p) => handler(messages(taskEvents(`e2e-coalesce-${p}`)), { ...context, partitions: [p] })))
    expect(inserts.events).toEqual([12])
    await writer.stop()
  })
})
