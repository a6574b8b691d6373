/**
 * The delivery service: subscribes to the `alerts` topic as group `delivery`, routes each alert
 * version, and resolves the bus batch only once every chosen sink's outbox (or a route's digest
 * hold) has it on disk. Sending happens afterwards, per sink, in the outbox workers.
 */
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import Value from 'typebox/value'
import { type Alert, AlertSchema } from '../core/alert.js'
import type { Bus, CoreTopics, Subscription } from '../core/bus/index.js'
import type { Config, SinkConfig } from '../core/config/schema.js'
import { PrivpathError } from '../core/errors.js'
import type { Telemetry } from '../core/telemetry.js'
import { assertSinks, createSink } from './factory.js'
import { deliveryMetrics } from './metrics.js'
import { newEntry, type OutboxEntry } from './outbox/entry.js'
import { acquireLock } from './outbox/lock.js'
import { OutboxStore } from './outbox/store.js'
import { OutboxWorker, type SinkCounters } from './outbox/worker.js'
import { sinkSecrets, secretScrubber } from './redact.js'
import { RateLimits } from './routing/digest.js'
import { Router } from './routing/router.js'
import type { Digest, Sink } from './sink.js'
import { FileThreadStore } from './slack/threads.js'

const DELIVERY_GROUP = 'delivery'
const DIGEST_DIR = '.digests'

export interface DeliveryOptions {
  bus: Bus<Pick<CoreTopics, 'alerts'>>
  config: Config
  dataDir: string
  telemetry: Telemetry
  /** Use these sinks instead of building them from `config.alerts.sinks` (matched by name). */
  sinks?: Sink[]
  /** Length of a rate-limit window; `rate_per_minute` applies per window. Default 60 s. */
  rateWindowMs?: number
  now?: () => number
  random?: () => number
}

interface SinkStats {
  name: string
  type: string
  pending: number
  in_flight: number
  dead: number
  counters: SinkCounters
}

interface DeliveryStats {
  sinks: SinkStats[]
  routes: Array<{ name: string; sinks: string[]; rate_per_minute: number }>
  unrouted: number
  rejected: number
}

export interface DeliveryControl {
  stats(): DeliveryStats
  pending(sink?: string): OutboxEntry[]
  deadLetters(sink?: string): Promise<OutboxEntry[]>
  /** Dead letters back to their outboxes; returns how many per sink. */
  redeliver(filter: { sink?: string; id?: string }): Promise<Record<string, number>>
  sinkNames(): string[]
}

export interface Delivery extends DeliveryControl {
  readonly ready: Promise<void>
  /** Resolves once no sink has anything pending or in flight (entries waiting out a backoff are pending). */
  idle(): Promise<void>
  stop(): Promise<void>
}

export function startDelivery(options: DeliveryOptions): Delivery {
  const { bus, config, telemetry } = options
  const logger = telemetry.logger.child({ component: 'delivery' })
  const now = options.now ?? Date.now
  const sinkConfigs = config.alerts.sinks
  const given = new Map((options.sinks ?? []).map((s) => [s.name, s]))
  const configured: Array<Pick<SinkConfig, 'name'>> = sinkConfigs.length > 0 ? sinkConfigs : [...given.keys()].map((name) => ({ name }))
  if (sinkConfigs.length > 0) assertSinks(sinkConfigs)
  const router = Router.compile(config.alerts.routes, configured, { timeoutMs: config.alerts.route_timeout_ms, logger })
  const scrub = secretScrubber(sinkSecrets(sinkConfigs))
  const outboxDir = join(options.dataDir, 'outbox')
  mkdirSync(outboxDir, { recursive: true })
  const releaseLock = acquireLock(outboxDir)

  const workers = new Map<string, OutboxWorker>()
  const metrics = deliveryMetrics(telemetry.registry, () => Object.fromEntries([...workers].map(([name, w]) => [name, w.depth])))
  let unrouted = 0
  let rejected = 0
  let subscription: Subscription | undefined
  let stopping = false

  const limits = new RateLimits({
    dir: join(outboxDir, DIGEST_DIR),
    windowMs: options.rateWindowMs ?? 60_000,
    logger,
    now,
    emit: (route: string, digest: Digest) => {
      const sinks = router.routes.find((r) => r.config.name === route)?.config.sinks ?? []
      return Promise.all(
        sinks.map((sink) => workers.get(sink)?.enqueue([newEntry(sink, { kind: 'digest', digest }, [route], now())])),
      ).then(() => undefined)
    },
  })

  async function openWorker(entry: Pick<SinkConfig, 'name'>): Promise<OutboxWorker> {
    const sinkConfig = sinkConfigs.find((s) => s.name === entry.name)
    const dir = join(outboxDir, entry.name)
    const store = await OutboxStore.open(dir)
    let sink = given.get(entry.name)
    if (!sink && sinkConfig) {
      const threads = sinkConfig.type === 'slack' && sinkConfig.token ? await FileThreadStore.open(join(dir, 'slack-threads.jsonl')) : undefined
      sink = createSink(sinkConfig, { threads })
    }
    if (!sink) throw new Error(`sink "${entry.name}" has neither configuration nor an implementation`)
    return new OutboxWorker({
      sink,
      store,
      logger,
      metrics,
      scrub,
      publicUrl: config.server.public_url,
      concurrency: sinkConfig?.concurrency ?? 4,
      maxAttempts: sinkConfig?.max_attempts ?? 12,
      backoffBaseMs: sinkConfig?.backoff_base_ms ?? 1_000,
      backoffMaxMs: sinkConfig?.backoff_max_ms ?? 300_000,
      now,
      random: options.random,
    })
  }

  async function accept(alert: Alert): Promise<Map<string, OutboxEntry[]>> {
    const bySink = new Map<string, OutboxEntry[]>()
    const routes = await router.match(alert)
    if (routes.length === 0) {
      unrouted++
      metrics.unrouted.inc()
      return bySink
    }
    const direct = new Map<string, string[]>()
    const limited = []
    for (const route of routes) {
      if (route.config.rate_per_minute > 0) limited.push(route)
      else for (const sink of route.config.sinks) direct.set(sink, [...(direct.get(sink) ?? []), route.config.name])
    }
    for (const route of limited) {
      if (route.config.sinks.every((sink) => direct.has(sink))) continue
      if (await limits.admit(route.config.name, route.config.rate_per_minute, alert)) {
        for (const sink of route.config.sinks) direct.set(sink, [...(direct.get(sink) ?? []), route.config.name])
      } else {
        metrics.digested.inc({ route: route.config.name })
      }
    }
    for (const [sink, routeNames] of direct) bySink.set(sink, [newEntry(sink, { kind: 'alert', alert }, routeNames, now())])
    return bySink
  }

  const ready = (async () => {
    for (const entry of configured) workers.set(entry.name, await openWorker(entry))
    await Promise.all([...workers.values()].map((w) => w.start()))
    await limits.start()
    subscription = await bus.subscribe('alerts', { group: DELIVERY_GROUP, fromBeginning: false }, async (messages) => {
      const batch = new Map<string, OutboxEntry[]>()
      for (const { value } of messages) {
        // an alert published before alerts had a category (a topic replayed, an older detector) is an incident
        if (value !== null && typeof value === 'object' && (value as { category?: unknown }).category === undefined) (value as { category: string }).category = 'incident'
        if (!Value.Check(AlertSchema, value)) {
          rejected++
          metrics.rejected.inc()
          logger.error({ alert_id: (value as { alert_id?: unknown })?.alert_id }, 'message on topic alerts is not an alert; skipped')
          continue
        }
        for (const [sink, entries] of await accept(value)) batch.set(sink, [...(batch.get(sink) ?? []), ...entries])
      }
      await Promise.all([...batch].map(([sink, entries]) => workers.get(sink)?.enqueue(entries)))
    })
    logger.info({ sinks: [...workers.keys()], routes: router.routes.map((r) => r.config.name) }, 'alert delivery started')
  })()
  ready.catch(() => undefined)

  function pick(sink?: string): OutboxWorker[] {
    if (sink === undefined) return [...workers.values()]
    const worker = workers.get(sink)
    if (!worker) throw new PrivpathError('PP_ERR_NOT_FOUND', `sink: no sink named "${sink}"`)
    return [worker]
  }

  const control: DeliveryControl = {
    stats: () => ({
      sinks: [...workers.values()].map((w) => {
        const sink = given.get(w.name) ?? { type: sinkConfigs.find((s) => s.name === w.name)?.type ?? 'unknown' }
        return { name: w.name, type: sink.type, pending: w.depth, in_flight: w.inFlightCount, dead: w.dead, counters: { ...w.counters } }
      }),
      routes: router.routes.map((r) => ({ name: r.config.name, sinks: r.config.sinks, rate_per_minute: r.config.rate_per_minute })),
      unrouted,
      rejected,
    }),
    pending: (sink) => pick(sink).flatMap((w) => w.pending()),
    deadLetters: async (sink) => {
      const lists = await Promise.all(pick(sink).map((w) => OutboxStore.open(join(outboxDir, w.name)).then((s) => s.list('dead'))))
      return lists.flat()
    },
    redeliver: async ({ sink, id }) => {
      const out: Record<string, number> = {}
      for (const worker of pick(sink)) out[worker.name] = await worker.redeliver({ id })
      return out
    },
    sinkNames: () => [...workers.keys()],
  }

  return {
    ...control,
    ready,
    async idle() {
      await ready
      // A sink can take new work (a digest, a bus batch) after it went idle: settle only when all are at once.
      while (![...workers.values()].every((w) => w.depth === 0 && w.inFlightCount === 0)) {
        await Promise.all([...workers.values()].map((w) => w.idle()))
      }
    },
    async stop() {
      if (stopping) return
      stopping = true
      await ready.catch(() => undefined)
      await subscription?.close()
      await limits.stop()
      await Promise.all([...workers.values()].map((w) => w.stop()))
      await Promise.all([...workers.values()].map((w) => (given.has(w.name) ? undefined : w.sink.close?.())))
      releaseLock()
      logger.info('alert delivery stopped')
    },
  }
}
