import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Alert } from '../core/alert.js'
import { type SubscribeOptions, type CoreTopics, MemoryBus } from '../core/bus/index.js'
import { emptyEvent, type PrivpathEvent } from '../core/event.js'
import { silentTelemetry } from '../core/telemetry.js'
import { detectorConfig } from './config.js'
import type { Rule } from './rules/types.js'
import { startDetector, type RunningDetector } from './service.js'

const REUSE = `id: reuse
title: Credential reused beyond its task
severity: high
on: [credential_used]
when: credential != null and credential.task_id != event.task_id
summary: '"reuse of " & event.credential_id & " in " & event.task_id'
`

function ev(partial: Partial<PrivpathEvent> & Pick<PrivpathEvent, 'kind'>): PrivpathEvent {
  return { ...emptyEvent(), tenant_id: 'acme', task_id: 't1', event_id: `${partial.kind}-${partial.ts}`, ...partial }
}

async function setup(rules: string, history: PrivpathEvent[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'detector-'))
  await writeFile(join(dir, 'rule.yaml'), rules)
  const bus = new MemoryBus<CoreTopics>()
  const alerts: Alert[] = []
  await bus.subscribe('alerts', { group: 'test' }, async (messages) => {
    alerts.push(...messages.map((m) => m.value))
  })
  const waiting: Array<(rules: Rule[]) => void> = []
  const detector = startDetector({
    bus,
    config: detectorConfig({ rules_dir: dir }),
    telemetry: silentTelemetry(),
    loadHistory: async function* () {
      yield* history
    },
    debounceMs: 50,
    onRulesReloaded: (rules) => waiting.forEach((notify) => notify(rules)),
  })
  /** Resolves on the first successful reload, from now on, whose rules pass `check`. */
  const reloaded = (check: (rules: Rule[]) => boolean) =>
    new Promise<void>((resolve) => waiting.push((rules) => check(rules) && resolve()))
  return { dir, bus, alerts, detector, reloaded }
}

let running: RunningDetector | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('startDetector', () => {
  it('refuses to start on an invalid rule and names it', async () => {
    const { detector } = await setup(REUSE.replace('severity: high', 'severity: urgent'))
    running = detector
    await expect(detector.ready).rejects.toMatchObject({ code: 'PP_ERR_RULE_INVALID', message: expect.stringContaining('reuse') })
  })

  it('rebuilds the registry from history so reuse across a restart is caught, alerts published before ack', async () => {
    const { bus, alerts, detector } = await setup(REUSE, [
      ev({ kind: 'credential_issued', credential_id: 'c1', task_id: 'before-restart', ts: 1 }),
    ])
    running = detector
    await detector.ready
    expect(detector.engine()?.stats()).toMatchObject({ credentials: 1, tasks: 1 })
    // publish resolves once every group handled the batch, and the detector publishes before resolving
    await bus.publish('events', [{ key: 't2', value: ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't2', ts: 2 }) }])
    expect(alerts.map((a) => a.summary)).toEqual(['reuse of c1 in t2'])
  })

  it('hot-reloads valid edits, keeps the previous rules on an invalid one, and watches the files', async () => {
    const { dir, bus, alerts, detector, reloaded } = await setup(REUSE)
    running = detector
    await detector.ready
    await writeFile(join(dir, 'rule.yaml'), REUSE.replace('on: [credential_used]', 'on: [credential_usd]'))
    const rejected = await detector.reload()
    expect(rejected.ok).toBe(false)
    expect(rejected.errors[0].message).toMatch(/unknown event kind/)
    await bus.publish('events', [
      { key: 't1', value: ev({ kind: 'credential_issued', credential_id: 'c1', ts: 1 }) },
      { key: 't2', value: ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't2', ts: 2 }) },
    ])
    expect(alerts).toHaveLength(1)
    // Nobody calls reload() this time: only the directory watch can bring the edit in.
    const watched = reloaded((rules) => rules[0]?.summary.source.includes('reused: '))
    await writeFile(join(dir, 'rule.yaml'), REUSE.replace(`"reuse of "`, `"reused: "`))
    await watched
    expect(detector.engine()?.rules()[0].summary.source).toContain('reused: ')
    await bus.publish('events', [{ key: 't3', value: ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't3', ts: 3 }) }])
    expect(alerts.map((a) => [a.summary, a.count])).toEqual([
      ['reuse of c1 in t2', 1],
      ['reused: c1 in t3', 1], // the registry survived the reload: c1 is still known as t1's
    ])
  })
  it('takes at most maxBatch events per bus batch and publishes each batch\'s alerts before acknowledging it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'detector-'))
    await writeFile(join(dir, 'rule.yaml'), REUSE)
    const bus = new MemoryBus<CoreTopics>()
    const publications: number[] = []
    const measuring = Object.assign(Object.create(bus) as MemoryBus<CoreTopics>, {
      publish: async (topic: 'events' | 'alerts', messages: Array<{ key: string; value: never }>) => {
        if (topic === 'alerts') publications.push(messages.length)
        return bus.publish(topic, messages)
      },
    })
    const stored: string[] = []
    await bus.subscribe('alerts', { group: 'test' }, async (messages) => {
      stored.push(...messages.map((m) => m.value.summary))
    })
    const detector = startDetector({ bus: measuring, config: detectorConfig({ rules_dir: dir }), telemetry: silentTelemetry(), watchRules: false, maxBatch: 2 })
    running = detector
    await detector.ready
    await bus.publish('events', [
      { key: 't1', value: ev({ kind: 'credential_issued', credential_id: 'c1', ts: 1 }) },
      ...[2, 3, 4, 5, 6].map((ts) => ({ key: `t${ts}`, value: ev({ kind: 'credential_used', credential_id: 'c1', task_id: `t${ts}`, ts }) })),
    ])
    expect(stored).toHaveLength(5)
    expect(Math.max(...publications)).toBeLessThanOrEqual(2)
    expect(publications.reduce((a, b) => a + b, 0)).toBe(5)
  })

  it('steps later batches while an earlier batch\'s alerts are still being stored, and publishes them in step order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'detector-'))
    await writeFile(join(dir, 'rule.yaml'), REUSE)
    const bus = new MemoryBus<CoreTopics>()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const stored: string[] = []
    await bus.subscribe('alerts', { group: 'slow-store' }, async (messages) => {
      await held
      stored.push(...messages.map((m) => m.value.summary))
    })
    const detector = startDetector({ bus, config: detectorConfig({ rules_dir: dir }), telemetry: silentTelemetry(), watchRules: false, maxBatch: 1 })
    running = detector
    await detector.ready
    const step = vi.spyOn(detector.engine()!, 'stepBatch')
    const published = bus.publish('events', [
      { key: 't1', value: ev({ kind: 'credential_issued', credential_id: 'c1', ts: 1 }) },
      ...[2, 3, 4].map((ts) => ({ key: `t${ts}`, value: ev({ kind: 'credential_used', credential_id: 'c1', task_id: `t${ts}`, ts }) })),
    ])
    try {
      await vi.waitFor(() => expect(step).toHaveBeenCalledTimes(4))
      expect(stored).toEqual([])
    } finally {
      release()
    }
    await published
    expect(stored).toEqual(['reuse of c1 in t2', 'reuse of c1 in t3', 'reuse of c1 in t4'])
  })

  it('publishes a batch\'s alerts again after a failure without stepping its events twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'detector-'))
    await writeFile(join(dir, 'rule.yaml'), REUSE)
    const bus = new MemoryBus<CoreTopics>({ retry: { baseMs: 5, maxMs: 5 } })
    let failures = 1
    const flaky = Object.assign(Object.create(bus) as MemoryBus<CoreTopics>, {
      publish: async (topic: 'events' | 'alerts', messages: Array<{ key: string; value: never }>) => {
        if (topic === 'alerts' && failures-- > 0) throw new Error('broker unavailable')
        return bus.publish(topic, messages)
      },
    })
    const stored: Alert[] = []
    await bus.subscribe('alerts', { group: 'test' }, async (messages) => {
      stored.push(...messages.map((m) => m.value))
    })
    const detector = startDetector({ bus: flaky, config: detectorConfig({ rules_dir: dir }), telemetry: silentTelemetry(), watchRules: false })
    running = detector
    await detector.ready
    const step = vi.spyOn(detector.engine()!, 'stepBatch')
    await bus.publish('events', [
      { key: 't1', value: ev({ kind: 'credential_issued', credential_id: 'c1', ts: 1 }) },
      { key: 't2', value: ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't2', ts: 2 }) },
    ])
    expect(step).toHaveBeenCalledTimes(1)
    expect(failures).toBe(-1)
    expect(stored.map((a) => [a.summary, a.count])).toEqual([['reuse of c1 in t2', 1]])
  })

  it('on Kafka takes one batch at a time, so what it stepped is committed before a rebalance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'detector-'))
    await writeFile(join(dir, 'rule.yaml'), REUSE)
    const subscribed = new Map<string, SubscribeOptions>()
    const kafka = Object.assign(Object.create(new MemoryBus<CoreTopics>()) as MemoryBus<CoreTopics>, {
      kind: 'kafka' as const,
      subscribe: async (topic: string, options: SubscribeOptions) => {
        subscribed.set(topic, options)
        return { caughtUp: Promise.resolve(), close: async () => {} }
      },
    })
    const detector = startDetector({ bus: kafka, config: detectorConfig({ rules_dir: dir }), telemetry: silentTelemetry(), watchRules: false })
    running = detector
    await detector.ready
    expect(subscribed.get('events')?.maxInflightBatches).toBe(1)
  })
})
