/**
 * One sink's outbox worker: takes entries (durably, before `enqueue` resolves), sends them with
 * at most `concurrency` requests in flight, retries with full-jitter backoff (core/retry.ts's
 * `backoffDelay`, or the receiver's `Retry-After`), and moves entries that cannot be delivered to
 * the dead letter with the last error. A newer version of a pending alert replaces the older one. Each sink has its own worker,
 * so a slow or dead sink delays no other sink and never the bus.
 */
import type { Logger } from 'pino'
import { backoffDelay } from '../../core/retry.js'
import type { DeliveryMetrics } from '../metrics.js'
import { idempotencyKey, type SendOutcome, type Sink } from '../sink.js'
import { type Due, DueQueue } from './due-queue.js'
import { compareVersions, type OutboxEntry } from './entry.js'
import type { OutboxStore } from './store.js'

/** A receiver's `Retry-After` is honoured up to this (or the sink's backoff maximum, if larger). */
const MAX_RETRY_AFTER_MS = 3_600_000

export interface WorkerOptions {
  sink: Sink
  store: OutboxStore
  logger: Logger
  metrics: DeliveryMetrics
  publicUrl: string
  concurrency: number
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** Removes secrets from error texts before they are logged or stored. */
  scrub: (text: string) => string
  /** Delivered versions remembered to drop bus redeliveries; bounded, oldest forgotten first. */
  rememberDelivered?: number
  now?: () => number
  random?: () => number
}

export interface SinkCounters {
  attempts: number
  delivered: number
  failed: number
  retried: number
  dead_lettered: number
  coalesced: number
  duplicates: number
}

export class OutboxWorker {
  /** Every map and set here is by entry key (tenant and alert id), never by alert id alone. */
  private readonly entries = new Map<string, OutboxEntry>()
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly writes = new Map<string, Promise<void>>()
  private readonly delivered = new Map<string, { version: number; updated_at: number }>()
  private readonly queue: DueQueue
  private readonly abort = new AbortController()
  private readonly now: () => number
  private readonly deadKeys = new Set<string>()
  /** Entry keys whose newest state failed to reach the disk. */
  private readonly unsaved = new Set<string>()
  private stopped = false
  private readonly idleWaiters: Array<() => void> = []
  readonly counters: SinkCounters = { attempts: 0, delivered: 0, failed: 0, retried: 0, dead_lettered: 0, coalesced: 0, duplicates: 0 }

  constructor(private readonly options: WorkerOptions) {
    this.now = options.now ?? Date.now
    this.queue = new DueQueue(() => this.pump())
  }

  get name(): string {
    return this.options.sink.name
  }

  get sink(): Sink {
    return this.options.sink
  }

  get depth(): number {
    return this.entries.size
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  get dead(): number {
    return this.deadKeys.size
  }

  /** Loads what a previous run left pending and starts sending it. */
  async start(): Promise<void> {
    const corrupt: string[] = []
    for (const entry of await this.options.store.list('pending', corrupt)) {
      this.entries.set(entry.key, entry)
      this.queue.push({ at: entry.next_attempt_at, id: entry.key })
    }
    for (const entry of await this.options.store.list('dead', corrupt)) this.deadKeys.add(entry.key)
    if (corrupt.length > 0) {
      this.options.logger.error({ sink: this.name, files: corrupt }, 'unreadable outbox files moved to corrupt/')
    }
    if (this.entries.size > 0) this.options.logger.info({ sink: this.name, pending: this.entries.size }, 'resuming outbox')
    this.pump()
  }

  pending(): OutboxEntry[] {
    return [...this.entries.values()]
  }

  /** Resolves once nothing is pending (backing off counts) or in flight; only an attempt's end empties the worker. */
  idle(): Promise<void> {
    if (this.entries.size === 0 && this.inFlight.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Resolves once every entry is on disk (or recognised as a duplicate of what is). */
  async enqueue(incoming: OutboxEntry[]): Promise<void> {
    if (this.stopped) throw new Error(`sink "${this.name}" is stopped`)
    const writes: Promise<void>[] = []
    for (const entry of incoming) {
      const result = this.absorb(entry)
      if (result === 'stale' && this.unsaved.has(entry.key)) {
        // Known in memory but its last write failed: a redelivered bus batch must not be acknowledged on that.
        writes.push(this.persist(entry.key))
        continue
      }
      if (result === 'stale') {
        this.counters.duplicates++
        this.options.metrics.duplicates.inc({ sink: this.name })
        continue
      }
      if (result === 'coalesced') {
        this.counters.coalesced++
        this.options.metrics.coalesced.inc({ sink: this.name })
      }
      writes.push(this.persist(entry.key))
    }
    if (writes.length === 0) return
    await Promise.all(writes)
    await this.options.store.sync('pending')
    this.pump()
  }

  /** Moves dead letters back (all, or those of one alert or digest id) with a fresh attempt budget; returns how many were revived. */
  async redeliver(filter: { id?: string }): Promise<number> {
    const dead = (await this.options.store.list('dead')).filter((entry) => filter.id === undefined || entry.id === filter.id)
    let revived = 0
    const writes: Promise<void>[] = []
    for (const entry of dead) {
      this.delivered.delete(entry.key)
      const result = this.absorb({ ...entry, attempts: 0, dead_at: 0, next_attempt_at: this.now() })
      if (result !== 'stale') {
        revived++
        writes.push(this.persist(entry.key))
      }
      // A dead letter older than the pending version is simply superseded.
      writes.push(this.chain(entry.key, () => this.options.store.remove('dead', entry.key)).then(() => void this.deadKeys.delete(entry.key)))
    }
    await Promise.all(writes)
    await this.options.store.sync('pending')
    await this.options.store.sync('dead')
    this.pump()
    return revived
  }

  /** Takes an entry into the in-memory queue: new, replacing an older pending version, or stale. */
  private absorb(entry: OutboxEntry): 'new' | 'coalesced' | 'stale' {
    const existing = this.entries.get(entry.key)
    if (existing) {
      if (compareVersions(entry, existing) <= 0) return 'stale'
      existing.notification = entry.notification
      existing.version = entry.version
      existing.updated_at = entry.updated_at
      existing.routes = [...new Set([...existing.routes, ...entry.routes])]
      existing.coalesced++
      return 'coalesced'
    }
    const sent = this.delivered.get(entry.key)
    if (sent !== undefined && compareVersions(entry, sent) <= 0) return 'stale'
    this.entries.set(entry.key, entry)
    this.queue.push({ at: entry.next_attempt_at, id: entry.key })
    return 'new'
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.queue.disarm()
    this.abort.abort()
    await Promise.all(this.inFlight.values())
    await Promise.all(this.writes.values())
  }

  private pump(): void {
    if (this.stopped) return
    const now = this.now()
    // Due while its previous attempt is still in flight: back in the queue for when that ends.
    const busy: Due[] = []
    while (this.inFlight.size < this.options.concurrency) {
      const next = this.queue.peek()
      if (!next || next.at > now) break
      this.queue.pop()
      const entry = this.entries.get(next.id)
      if (!entry || entry.next_attempt_at !== next.at) continue
      if (this.inFlight.has(next.id)) {
        busy.push(next)
        continue
      }
      const run = this.attempt(entry)
        .catch((error: unknown) => {
          this.options.logger.error({ sink: this.name, alert_id: entry.id, entry: entry.key, error: this.options.scrub(String(error)) }, 'outbox update failed')
        })
        .finally(() => {
          this.inFlight.delete(entry.key)
          this.pump()
          if (this.entries.size === 0 && this.inFlight.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
        })
      this.inFlight.set(entry.key, run)
    }
    // A full worker and entries whose attempt is still running are woken by that attempt's end,
    // not by a timer (which would fire again and again while they cannot start).
    if (this.inFlight.size < this.options.concurrency) this.queue.arm(now)
    else this.queue.disarm()
    for (const item of busy) this.queue.push(item)
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const { sink, metrics, logger } = this.options
    const sent = { notification: entry.notification, version: entry.version, updated_at: entry.updated_at }
    entry.attempts++
    entry.last_attempt_at = this.now()
    this.counters.attempts++
    metrics.attempts.inc({ sink: this.name })
    const stopTimer = metrics.duration.startTimer({ sink: this.name })
    let outcome: SendOutcome
    try {
      outcome = await sink.send(sent.notification, {
        attempt: entry.attempts,
        idempotencyKey: idempotencyKey(sent.notification),
        signal: this.abort.signal,
        publicUrl: this.options.publicUrl,
      })
    } catch (error) {
      outcome = { status: 'retry', error: `sink "${this.name}" failed: ${(error as Error).message ?? String(error)}` }
    }
    stopTimer({ outcome: outcome.status })
    const newer = compareVersions(entry, sent) > 0

    if (outcome.status === 'delivered') {
      this.counters.delivered++
      metrics.successes.inc({ sink: this.name })
      this.remember(entry.key, sent)
      if (newer) return this.reschedule(entry, 0, this.now())
      this.forget(entry)
      await this.persist(entry.key)
      await this.dropStaleDeadLetter(entry.key, sent)
      return
    }

    if (this.stopped) {
      // Interrupted by shutdown: says nothing about the sink and does not count against the budget.
      entry.attempts--
      await this.persist(entry.key)
      return
    }
    const error = this.options.scrub(outcome.error)
    entry.last_error = error
    this.counters.failed++
    metrics.failures.inc({ sink: this.name, kind: outcome.status === 'retry' ? 'retryable' : 'permanent' })
    if (newer) return this.reschedule(entry, 0, this.now())
    if (outcome.status === 'permanent' || entry.attempts >= this.options.maxAttempts) {
      return this.deadLetter(entry, outcome.status === 'permanent' ? 'permanent failure' : 'attempts exhausted')
    }
    const delay =
      outcome.retryAfterMs !== undefined
        ? Math.min(outcome.retryAfterMs, Math.max(this.options.backoffMaxMs, MAX_RETRY_AFTER_MS))
        : backoffDelay(entry.attempts, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs }, this.options.random)
    this.counters.retried++
    metrics.retries.inc({ sink: this.name })
    logger.warn({ sink: this.name, alert_id: entry.id, entry: entry.key, attempt: entry.attempts, retry_in_ms: delay, error }, 'delivery failed, will retry')
    await this.reschedule(entry, entry.attempts, this.now() + delay)
  }

  private async reschedule(entry: OutboxEntry, attempts: number, at: number): Promise<void> {
    entry.attempts = attempts
    entry.next_attempt_at = at
    this.queue.push({ at, id: entry.key })
    await this.persist(entry.key)
  }

  private async deadLetter(entry: OutboxEntry, reason: string): Promise<void> {
    entry.dead_at = this.now()
    this.forget(entry)
    this.counters.dead_lettered++
    this.options.metrics.deadLetters.inc({ sink: this.name })
    this.options.logger.error(
      { sink: this.name, alert_id: entry.id, entry: entry.key, attempts: entry.attempts, error: entry.last_error },
      `delivery dead-lettered (${reason})`,
    )
    await this.chain(entry.key, async () => {
      await this.options.store.write('dead', entry)
      await this.options.store.sync('dead')
      await this.options.store.remove('pending', entry.key)
    })
    this.deadKeys.add(entry.key)
  }

  private async dropStaleDeadLetter(key: string, sent: { version: number; updated_at: number }): Promise<void> {
    if (!this.deadKeys.has(key)) return
    const dead = await this.options.store.read('dead', key)
    if (dead && compareVersions(dead, sent) <= 0) {
      await this.options.store.remove('dead', key)
      this.deadKeys.delete(key)
    }
  }

  private forget(entry: OutboxEntry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key)
  }

  private remember(key: string, version: { version: number; updated_at: number }): void {
    this.delivered.delete(key)
    this.delivered.set(key, { version: version.version, updated_at: version.updated_at })
    const limit = this.options.rememberDelivered ?? 50_000
    if (this.delivered.size > limit) this.delivered.delete(this.delivered.keys().next().value as string)
  }

  /** Writes the entry's current state (or removes its file when it is gone); writes per key run in order. */
  private persist(key: string): Promise<void> {
    return this.chain(key, async () => {
      const current = this.entries.get(key)
      if (current) await this.options.store.write('pending', current)
      else await this.options.store.remove('pending', key)
      this.unsaved.delete(key)
    }).catch((error: unknown) => {
      this.unsaved.add(key)
      throw error
    })
  }

  private chain(key: string, work: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(key) ?? Promise.resolve()).then(work)
    const settled = next.catch((error: unknown) => {
      this.options.logger.error({ sink: this.name, entry: key, error: this.options.scrub(String(error)) }, 'outbox write failed')
    })
    this.writes.set(key, settled)
    void settled.then(() => {
      if (this.writes.get(key) === settled) this.writes.delete(key)
    })
    return next
  }
}
