/**
 * Dedup windows of one isolation domain: the first firing of (rule, key) opens `[ts, ts + window)`;
 * firings inside it update that one alert (count, last_seen, event_ids), later ones open a new
 * window. Entries are dropped once their window closed and the allowed lateness passed, in the
 * domain's watermark time shifted by how late the firing's event arrived, so memory stays
 * bounded and a task replayed behind live traffic keeps its windows as long as a live one.
 */
import { alertId, type Alert } from '../../core/alert.js'
import { MinHeap } from '../../core/heap.js'
import type { Rule } from '../rules/types.js'

const MAX_EVENT_IDS = 100

export interface Firing {
  rule: Rule
  key: string
  summary: string
  ts: number
  /** The isolation domain the firing belongs to (its event's). */
  domain: string
  /** How late its event arrived behind the domain's watermark: the window closes that much later. */
  lag: number
  tenant_id: string
  task_id: string
  agent_id: string
  path: string
  event_ids: string[]
}

interface Window {
  alert: Alert
  end: number
}

export class DedupTable {
  private readonly windows = new Map<string, Window>()
  private readonly expiries = new MinHeap<{ at: number; id: string; alertId: string }>()

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.windows.size
  }

  /** Returns the new or updated alert, and whether it is new. */
  record(firing: Firing, windowMs: number): { alert: Alert; created: boolean } {
    const id = `${firing.rule.id}\u0000${firing.key}`
    const open = this.windows.get(id)
    if (open && firing.ts < open.end) {
      const alert = open.alert
      alert.count++
      alert.first_seen = Math.min(alert.first_seen, firing.ts)
      alert.last_seen = Math.max(alert.last_seen, firing.ts)
      alert.summary = firing.summary
      for (const e of firing.event_ids) if (!alert.event_ids.includes(e)) alert.event_ids.push(e)
      if (alert.event_ids.length > MAX_EVENT_IDS) alert.event_ids.splice(0, alert.event_ids.length - MAX_EVENT_IDS)
      alert.updated_at = this.clock()
      return { alert: { ...alert, event_ids: [...alert.event_ids] }, created: false }
    }
    const rule = firing.rule
    const alert: Alert = {
      alert_id: alertId(rule.id, firing.key, firing.ts, firing.domain),
      rule_id: rule.id,
      rule_title: rule.title,
      severity: rule.severity,
      category: rule.category,
      tenant_id: firing.tenant_id,
      task_id: firing.task_id,
      agent_id: firing.agent_id,
      summary: firing.summary,
      path: firing.path,
      dedup_key: firing.key,
      event_ids: firing.event_ids.slice(-MAX_EVENT_IDS),
      frameworks: rule.frameworks,
      tags: rule.tags,
      runbook: rule.runbook,
      count: 1,
      first_seen: firing.ts,
      last_seen: firing.ts,
      window_start: firing.ts,
      updated_at: this.clock(),
    }
    this.windows.set(id, { alert, end: firing.ts + windowMs })
    this.expiries.push({ at: firing.ts + windowMs + firing.lag, id, alertId: alert.alert_id })
    return { alert: { ...alert, event_ids: [...alert.event_ids] }, created: true }
  }

  /** Forgets windows that ended before `horizon` (watermark - allowed lateness). */
  evict(horizon: number): number {
    let evicted = 0
    for (let top = this.expiries.peek(); top && top.at < horizon; top = this.expiries.peek()) {
      this.expiries.pop()
      const open = this.windows.get(top.id)
      if (open && open.alert.alert_id === top.alertId) {
        this.windows.delete(top.id)
        evicted++
      }
    }
    return evicted
  }

  forgetRule(ruleId: string): void {
    for (const id of this.windows.keys()) if (id.startsWith(`${ruleId}\u0000`)) this.windows.delete(id)
  }
}
