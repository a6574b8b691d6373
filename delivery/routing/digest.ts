/**
 * Per-route rate limits that fold the excess into a digest instead of dropping it.
 *
 * A route with `rate_per_minute: N` passes its first N alert versions in each window straight to
 * its sinks; the rest are held (durably: one file per held version under `<dir>/<route key>/`)
 * and sent as one digest per route when the window closes. Held alerts left by a crash are
 * flushed at the next start. The digest id is fixed by route and window, so a flush repeated
 * after a crash replaces rather than duplicates the queued digest.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type Alert, severityRank } from '../../core/alert.js'
import type { Digest, DigestItem } from '../sink.js'

interface Held {
  route: string
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

const routeKey = (route: string) => createHash('sha256').update(route).digest('hex').slice(0, 12)

export class RateLimits {
  private readonly windows = new Map<string, Window[]>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly flushing = new Set<Promise<void>>()
  private readonly now: () => number
  private stopped = false

  constructor(private readonly options: DigestOptions) {
    this.now = options.now ?? Date.now
  }

  /** Reloads held alerts; windows that closed while stopped are flushed now. */
  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true })
    for (const key of await readdir(this.options.dir)) {
      const dir = join(this.options.dir, key)
      for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json'))) {
        try {
          const held = JSON.parse(await readFile(join(dir, name), 'utf8')) as Held
          this.add(this.window(held.route, held.window_start), held.item, join(dir, name))
        } catch {
          this.options.logger.error({ file: name }, 'unreadable held digest entry left in place')
        }
      }
    }
    for (const route of this.windows.keys()) this.arm(route)
  }

  windowStart(now: number): number {
    return now - (now % this.options.windowMs)
  }

  /** True when the route may deliver this alert now; false when it has been durably held for the digest. */
  async admit(route: string, limit: number, alert: Alert): Promise<boolean> {
    if (limit <= 0) return true
    const window = this.window(route, this.windowStart(this.now()))
    if (window.admitted < limit) {
      window.admitted++
      return true
    }
    const held: Held = { route, window_start: window.start, item: itemOf(alert) }
    const dir = join(this.options.dir, routeKey(route))
    await mkdir(dir, { recursive: true })
    const file = join(dir, `${window.start}-${randomBytes(6).toString('hex')}.json`)
    await writeDurably(file, JSON.stringify(held))
    this.add(window, held.item, file)
    this.arm(route)
    return false
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    await Promise.all(this.flushing)
  }

  private window(route: string, start: number): Window {
    const list = this.windows.get(route) ?? []
    this.windows.set(route, list)
    let window = list.find((w) => w.start === start)
    if (!window) {
      window = { start, admitted: 0, held: new Map(), total: 0, files: [] }
      list.push(window)
    }
    return window
  }

  private add(window: Window, item: DigestItem, file: string): void {
    const previous = window.held.get(item.alert_id)
    if (!previous || previous.count <= item.count) window.held.set(item.alert_id, item)
    window.total++
    window.files.push(file)
  }

  private arm(route: string): void {
    if (this.stopped || this.timers.has(route)) return
    const pending = (this.windows.get(route) ?? []).filter((w) => w.total > 0)
    if (pending.length === 0) return
    const due = Math.min(...pending.map((w) => w.start + this.options.windowMs))
    this.schedule(route, Math.max(0, due - this.now()))
  }

  private schedule(route: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(route)
      const run = this.flush(route).finally(() => this.flushing.delete(run))
      this.flushing.add(run)
    }, delayMs)
    timer.unref()
    this.timers.set(route, timer)
  }

  private async flush(route: string): Promise<void> {
    const now = this.now()
    const list = this.windows.get(route) ?? []
    for (const window of list.filter((w) => w.start + this.options.windowMs <= now)) {
      if (window.total > 0) {
        const digest: Digest = {
          digest_id: `digest-${routeKey(route)}-${window.start}`,
          route,
          window_start: window.start,
          window_end: window.start + this.options.windowMs,
          total: window.total,
          items: mostSevere([...window.held.values()]).slice(0, MAX_DIGEST_ITEMS),
          omitted: Math.max(0, window.held.size - MAX_DIGEST_ITEMS),
        }
        try {
          await this.options.emit(route, digest)
        } catch (error) {
          this.options.logger.error({ route, error: String(error) }, 'digest could not be queued; will retry')
          if (!this.stopped) this.schedule(route, 1_000)
          return
        }
        await Promise.all(window.files.map((file) => unlink(file).catch(() => undefined)))
      }
      list.splice(list.indexOf(window), 1)
    }
    this.arm(route)
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
