/**
 * Per-route rate limits that fold the excess into a digest instead of dropping it.
 *
 * A route with `rate_per_minute: N` passes each tenant's first N alert versions in each window
 * straight to its sinks; the rest are held (durably: one file per held version under
 * `<dir>/<bucket>/`) and sent as one digest per route and tenant when the window closes, so one
 * tenant's flood never holds back another tenant's alerts nor lands in its digest. Held alerts
 * left by a crash are flushed at the next start. The digest id is fixed by route, tenant and
 * window, so a flush repeated after a crash replaces rather than duplicates the queued digest.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type Alert, severityRank } from '../../core/alert.js'
import type { Digest, DigestItem } from '../sink.js'

interface Held {
  route: string
  /** Absent from files held before limits were per tenant: then the item's tenant. */
  tenant_id?: string
  window_start: number
  item: DigestItem
}

interface Window {
  start: number
  admitted: number
  held: Map<string, DigestItem>
  total: number
  files: string[]
}

/** One route's limit for one tenant. */
interface Bucket {
  route: string
  tenant: string
  /** Names its directory and its digests; a digest of the hash of route and tenant. */
  id: string
  windows: Window[]
}

export interface DigestOptions {
  dir: string
  windowMs: number
  logger: Logger
  /** Hands a closed window's digest to the route's sinks; must resolve once it is durable. */
  emit: (route: string, digest: Digest) => Promise<void>
  now?: () => number
}

/** Alerts listed in one digest; the rest are counted in `omitted` (and all are in the store). */
const MAX_DIGEST_ITEMS = 500

function mostSevere(items: DigestItem[]): DigestItem[] {
  return items.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.count - a.count)
}

/** Exact, for the in-memory maps: route names and tenants are free text, so they are JSON-encoded, never joined. */
const bucketKey = (route: string, tenant: string) => JSON.stringify([route, tenant])

export class RateLimits {
  private readonly buckets = new Map<string, Bucket>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly flushing = new Set<Promise<void>>()
  private readonly now: () => number
  private stopped = false
  /** The window whose start last swept windows that closed with nothing held. */
  private swept = -1

  constructor(private readonly options: DigestOptions) {
    this.now = options.now ?? Date.now
  }

  /** Reloads held alerts; windows that closed while stopped are flushed now. */
  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true })
    for (const name of await readdir(this.options.dir)) {
      const dir = join(this.options.dir, name)
      for (const file of (await readdir(dir)).filter((n) => n.endsWith('.json'))) {
        try {
          const held = JSON.parse(await readFile(join(dir, file), 'utf8')) as Held
          const bucket = this.bucket(held.route, held.tenant_id ?? held.item.tenant_id)
          this.add(this.window(bucket, held.window_start), held.item, join(dir, file))
        } catch {
          this.options.logger.error({ file }, 'unreadable held digest entry left in place')
        }
      }
    }
    for (const bucket of this.buckets.values()) this.arm(bucket)
  }

  windowStart(now: number): number {
    return now - (now % this.options.windowMs)
  }

  /** True when the route may deliver this alert now; false when it has been durably held for its tenant's digest. */
  async admit(route: string, limit: number, alert: Alert): Promise<boolean> {
    if (limit <= 0) return true
    const start = this.windowStart(this.now())
    this.sweep(start)
    const bucket = this.bucket(route, alert.tenant_id)
    const window = this.window(bucket, start)
    if (window.admitted < limit) {
      window.admitted++
      return true
    }
    const held: Held = { route, tenant_id: bucket.tenant, window_start: window.start, item: itemOf(alert) }
    const dir = join(this.options.dir, bucket.id)
    await mkdir(dir, { recursive: true })
    const file = join(dir, `${window.start}-${randomBytes(6).toString('hex')}.json`)
    await writeDurably(file, JSON.stringify(held))
    this.add(window, held.item, file)
    this.arm(bucket)
    return false
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    await Promise.all(this.flushing)
  }

  private bucket(route: string, tenant: string): Bucket {
    const key = bucketKey(route, tenant)
    let bucket = this.buckets.get(key)
    if (!bucket) {
      const id = createHash('sha256').update(key).digest('hex').slice(0, 24)
      bucket = { route, tenant, id, windows: [] }
      this.buckets.set(key, bucket)
    }
    return bucket
  }

  private window(bucket: Bucket, start: number): Window {
    let window = bucket.windows.find((w) => w.start === start)
    if (!window) {
      window = { start, admitted: 0, held: new Map(), total: 0, files: [] }
      bucket.windows.push(window)
    }
    return window
  }

  /**
   * Once per window: forgets windows that closed holding nothing (only a flush removes the others)
   * and buckets left without windows, so a tenant that stopped sending costs nothing.
   */
  private sweep(start: number): void {
    if (start === this.swept) return
    this.swept = start
    for (const [key, bucket] of this.buckets) {
      bucket.windows = bucket.windows.filter((w) => w.total > 0 || w.start >= start)
      if (bucket.windows.length === 0) this.buckets.delete(key)
    }
  }

  private add(window: Window, item: DigestItem, file: string): void {
    const previous = window.held.get(item.alert_id)
    if (!previous || previous.count <= item.count) window.held.set(item.alert_id, item)
    window.total++
    window.files.push(file)
  }

  private arm(bucket: Bucket): void {
    const key = bucketKey(bucket.route, bucket.tenant)
    if (this.stopped || this.timers.has(key)) return
    const pending = bucket.windows.filter((w) => w.total > 0)
    if (pending.length === 0) return
    const due = Math.min(...pending.map((w) => w.start + this.options.windowMs))
    this.schedule(bucket, Math.max(0, due - this.now()))
  }

  private schedule(bucket: Bucket, delayMs: number): void {
    const key = bucketKey(bucket.route, bucket.tenant)
    const timer = setTimeout(() => {
      this.timers.delete(key)
      const run = this.flush(bucket).finally(() => this.flushing.delete(run))
      this.flushing.add(run)
    }, delayMs)
    timer.unref()
    this.timers.set(key, timer)
  }

  private async flush(bucket: Bucket): Promise<void> {
    const now = this.now()
    const { route, tenant } = bucket
    for (const window of bucket.windows.filter((w) => w.start + this.options.windowMs <= now)) {
      if (window.total > 0) {
        const digest: Digest = {
          digest_id: `digest-${bucket.id}-${window.start}`,
          route,
          tenant_id: tenant,
          window_start: window.start,
          window_end: window.start + this.options.windowMs,
          total: window.total,
          items: mostSevere([...window.held.values()]).slice(0, MAX_DIGEST_ITEMS),
          omitted: Math.max(0, window.held.size - MAX_DIGEST_ITEMS),
        }
        try {
          await this.options.emit(route, digest)
        } catch (error) {
          this.options.logger.error({ route, tenant_id: tenant, error: String(error) }, 'digest could not be queued; will retry')
          if (!this.stopped) this.schedule(bucket, 1_000)
          return
        }
        await Promise.all(window.files.map((file) => unlink(file).catch(() => undefined)))
      }
      // A sweep while the digest was being queued may have dropped an empty window already.
      const index = bucket.windows.indexOf(window)
      if (index >= 0) bucket.windows.splice(index, 1)
    }
    this.arm(bucket)
  }
}

function itemOf(alert: Alert): DigestItem {
  return {
    alert_id: alert.alert_id,
    rule_id: alert.rule_id,
    rule_title: alert.rule_title,
    severity: alert.severity,
    tenant_id: alert.tenant_id,
    task_id: alert.task_id,
    summary: alert.summary,
    count: alert.count,
  }
}

async function writeDurably(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, file)
  const dir = await open(join(file, '..'), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
