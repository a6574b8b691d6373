/**
 * Rule logic per form, written once as generators (see drive.ts): plain rules, sliding
 * threshold windows, sequences and absences, plus the shared firing step (exceptions, dedup key,
 * summary). Correlation state lives in `CorrelationState`, keyed by rule id so a hot reload that
 * keeps a rule keeps its windows.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { boolize, toJsonataString, type Variables } from '../../core/expression/index.js'
import type { Rule } from '../rules/types.js'
import type { RuleContext } from './context.js'
import type { Firing } from './dedup.js'
import { need, type RuleRun } from './drive.js'
import { describePath } from './path.js'

export const NO_VARS: Variables = Object.freeze({}) as Variables
const MAX_KEYS_PER_RULE = 100_000

interface Stamp {
  ts: number
  id: string
}
/**
 * How far behind its domain's watermark an event arrived (the most of a window's events). A task
 * that arrives late as a whole keeps its own order: its windows are judged in its own time, and
 * expire `lag` later in watermark time than a live task's would, never earlier.
 */
type Lag = number
interface Group {
  stamps: Stamp[]
  lag: Lag
}
interface Partial {
  start: number
  events: PrivpathEvent[]
  lag: Lag
}
export interface PendingAbsence {
  rule: Rule
  key: string
  after: PrivpathEvent
  /** Event time by which the expected event must have happened. */
  deadline: number | null
  /** Watermark time at which it fires: the deadline plus how late its after-event arrived. */
  due: number | null
  lag: Lag
  open: boolean
}

export interface CorrelationHooks {
  watermark(): number
  lateness(): number
  suppressed(rule: Rule, exception: string): void
  dropped(reason: string): void
  scheduleAbsence(pending: PendingAbsence): void
  /**
   * How much longer than its deadline an absence waits for its expected event, beyond the lag:
   * an agent whose decisions arrive in batches minutes late (OPA decision logs) gets
   * `authz_lateness_ms` before a missing decision counts as missing.
   */
  expectDelay(rule: Rule, after: PrivpathEvent): number
}

export class CorrelationState {
  readonly thresholds = new Map<string, Map<string, Group>>()
  readonly sequences = new Map<string, Map<string, Array<Partial | undefined>>>()
  readonly absences = new Map<string, Map<string, PendingAbsence[]>>()
  readonly exceptionHits = new Map<string, number>()
  /** `until: task_end` absences by the task of their after-event, so a task_end finds its own. */
  private readonly untilTaskEnd = new Map<string, Set<PendingAbsence>>()

  constructor(private readonly hooks: CorrelationHooks) {}

  forgetRule(ruleId: string): void {
    this.thresholds.delete(ruleId)
    this.sequences.delete(ruleId)
    for (const list of this.absences.get(ruleId)?.values() ?? []) for (const p of list) p.open = false
    this.absences.delete(ruleId)
  }

  /** Drops windows and partial sequences that can no longer match. */
  sweep(rules: Map<string, Rule>): void {
    const horizon = this.hooks.watermark() - this.hooks.lateness()
    for (const [ruleId, groups] of this.thresholds) {
      const c = rules.get(ruleId)?.correlation
      if (c?.type !== 'threshold') continue
      for (const [key, { stamps, lag }] of groups) {
        if (stamps.length === 0 || stamps[stamps.length - 1].ts + lag < horizon - c.windowMs) groups.delete(key)
      }
    }
    for (const [ruleId, keys] of this.sequences) {
      const c = rules.get(ruleId)?.correlation
      if (c?.type !== 'sequence') continue
      for (const [key, progress] of keys) {
        if (progress.every((p) => p === undefined || p.start + c.withinMs + p.lag < horizon)) keys.delete(key)
      }
    }
  }

  sizes(): { thresholdGroups: number; sequencePartials: number; pendingAbsences: number } {
    let thresholdGroups = 0
    let sequencePartials = 0
    let pendingAbsences = 0
    for (const g of this.thresholds.values()) thresholdGroups += g.size
    for (const k of this.sequences.values()) for (const p of k.values()) sequencePartials += p.filter((x) => x !== undefined).length
    for (const k of this.absences.values()) for (const p of k.values()) pendingAbsences += p.length
    return { thresholdGroups, sequencePartials, pendingAbsences }
  }

  *fire(rule: Rule, ctx: RuleContext, vars: Variables, eventIds: string[], ts: number, lag: Lag): RuleRun<Firing | undefined> {
    for (const exception of rule.exceptions) {
      if (exception.expires !== null && ts >= exception.expires) continue
      if (boolize(yield need(exception.when, ctx, vars))) {
        const hit = `${rule.id}\u0000${exception.name}`
        this.exceptionHits.set(hit, (this.exceptionHits.get(hit) ?? 0) + 1)
        this.hooks.suppressed(rule, exception.name)
        return undefined
      }
    }
    const key = rule.dedup.key ? keyString(yield need(rule.dedup.key, ctx, vars)) : ctx.event.task_id
    const summary = keyString(yield need(rule.summary, ctx, vars))
    const { event } = ctx
    return {
      rule, key, summary, ts,
      domain: event.domain, lag, tenant_id: event.tenant_id, task_id: event.task_id, agent_id: event.agent_id,
      path: describePath(ctx.task, event),
      event_ids: eventIds,
    }
  }

  *plain(rule: Rule, ctx: RuleContext, lag: Lag): RuleRun<Firing | undefined> {
    if (rule.when && !boolize(yield need(rule.when, ctx, NO_VARS))) return undefined
    return yield* this.fire(rule, ctx, NO_VARS, [ctx.event.event_id], ctx.event.ts, lag)
  }

  *threshold(rule: Rule, ctx: RuleContext, lag: Lag): RuleRun<Firing | undefined> {
    const c = rule.correlation
    if (c.type !== 'threshold') return undefined
    if (rule.when && !boolize(yield need(rule.when, ctx, NO_VARS))) return undefined
    const group = c.groupBy ? keyString(yield need(c.groupBy, ctx, NO_VARS)) : ctx.event.task_id
    const groups = mapFor(this.thresholds, rule.id)
    let entry = groups.get(group)
    if (!entry) {
      if (groups.size >= MAX_KEYS_PER_RULE) this.evictOldestKey(groups, 'threshold_groups')
      groups.set(group, (entry = { stamps: [], lag }))
    } else if (lag > entry.lag) entry.lag = lag
    const stamps = entry.stamps
    const { ts, event_id: id } = ctx.event
    let at = stamps.length
    while (at > 0 && stamps[at - 1].ts > ts) at--
    // in-order events append; splice would also allocate the (empty) array of removed items
    if (at === stamps.length) stamps.push({ ts, id })
    else stamps.splice(at, 0, { ts, id })
    // the group's own time: a group that arrives late as a whole still counts every event
    const horizon = stamps[stamps.length - 1].ts - this.hooks.lateness() - c.windowMs
    let drop = 0
    while (drop < at && stamps[drop].ts < horizon) drop++
    if (drop > 0) {
      stamps.splice(0, drop)
      at -= drop
    }
    // windows [end - window, end] for every end at or after this event that still contains it
    let best = 0
    let bestFrom = 0
    let bestTo = 0
    for (let end = at; end < stamps.length && stamps[end].ts <= ts + c.windowMs; end++) {
      const from = lowerBound(stamps, stamps[end].ts - c.windowMs, at)
      const count = end - from + 1
      if (count > best) [best, bestFrom, bestTo] = [count, from, end]
    }
    if (best < c.count) return undefined
    const ids = stamps.slice(bestFrom, bestTo + 1).map((s) => s.id)
    return yield* this.fire(rule, ctx, { count: best }, ids, ts, lag)
  }

  /**
   * Per key, at most one partial sequence per number of matched steps: a newer match replaces an
   * older partial at the same progress (the most recent candidate wins), so an event costs at most
   * `steps - 1` condition checks however busy the key is.
   */
  *sequence(rule: Rule, ctx: RuleContext, lag: Lag): RuleRun<Firing | undefined> {
    const c = rule.correlation
    if (c.type !== 'sequence') return undefined
    if (rule.when && !boolize(yield need(rule.when, ctx, NO_VARS))) return undefined
    const key = c.by ? keyString(yield need(c.by, ctx, NO_VARS)) : ctx.event.task_id
    const keys = mapFor(this.sequences, rule.id)
    const event = ctx.event
    // progress[k] = the partial that matched steps 0..k
    const progress: Array<Partial | undefined> = keys.get(key) ?? []
    let completed: Partial | undefined
    for (let k = progress.length - 1; k >= 0; k--) {
      const p = progress[k]
      if (!p) continue
      if (event.ts - p.start > c.withinMs) {
        progress[k] = undefined
        continue
      }
      const step = c.steps[k + 1]
      const last = p.events[p.events.length - 1]
      if (!step.on.includes(event.kind) || event.ts < last.ts) continue
      // inline condition checks: a delegated generator per step check is garbage per event
      if (step.when && !boolize(yield need(step.when, ctx, { prev: last, steps: p.events }))) continue
      const advanced: Partial = { start: p.start, events: [...p.events, event], lag: Math.max(p.lag, lag) }
      progress[k] = undefined
      if (advanced.events.length === c.steps.length) completed ??= advanced
      else progress[k + 1] = advanced
    }
    const first = c.steps[0]
    if (first.on.includes(event.kind) && (!first.when || boolize(yield need(first.when, ctx, { prev: undefined, steps: [] })))) {
      if (c.steps.length === 1) completed ??= { start: event.ts, events: [event], lag }
      else progress[0] = { start: event.ts, events: [event], lag }
    }
    while (progress.length > 0 && progress[progress.length - 1] === undefined) progress.pop()
    if (progress.length === 0) keys.delete(key)
    else if (!keys.has(key)) {
      if (keys.size >= MAX_KEYS_PER_RULE) this.evictOldestKey(keys, 'sequence_keys')
      keys.set(key, progress)
    }
    if (!completed) return undefined
    const steps = completed.events
    return yield* this.fire(rule, ctx, { prev: steps[steps.length - 2], steps }, steps.map((e) => e.event_id), event.ts, lag)
  }

  /** Resolves open absences with this event, or opens one; absences fire from the engine's timers. */
  *absence(rule: Rule, ctx: RuleContext, lag: Lag): RuleRun<undefined> {
    const c = rule.correlation
    if (c.type !== 'absence') return undefined
    const event = ctx.event
    const isExpect = c.expect.on.includes(event.kind)
    const isAfter = c.after.on.includes(event.kind)
    if (!isExpect && !isAfter) return undefined
    const key = c.by ? keyString(yield need(c.by, ctx, NO_VARS)) : event.task_id
    const keys = mapFor(this.absences, rule.id)
    let pendings = keys.get(key) ?? []
    if (isExpect && pendings.length > 0) {
      for (const p of pendings) {
        // Past the deadline the window has already failed; it fires once the watermark is folded in.
        if (event.ts < p.after.ts || (p.deadline !== null && event.ts > p.deadline)) continue
        if (!c.expect.when || boolize(yield need(c.expect.when, ctx, { after: p.after }))) this.close(p)
      }
      pendings = pendings.filter((p) => p.open)
    }
    if (isAfter && (!rule.when || boolize(yield need(rule.when, ctx, NO_VARS)))) {
      if (!c.after.when || boolize(yield need(c.after.when, ctx, NO_VARS))) {
        const deadline = c.withinMs === null ? null : event.ts + c.withinMs
        const due = deadline === null ? null : deadline + lag + this.hooks.expectDelay(rule, event)
        const pending: PendingAbsence = { rule, key, after: event, deadline, due, lag, open: true }
        pendings.push(pending)
        if (pending.deadline === null) {
          let set = this.untilTaskEnd.get(event.task_id)
          if (!set) this.untilTaskEnd.set(event.task_id, (set = new Set()))
          set.add(pending)
        }
        this.hooks.scheduleAbsence(pending)
      }
    }
    if (pendings.length === 0) keys.delete(key)
    else {
      if (!keys.has(key) && keys.size >= MAX_KEYS_PER_RULE) this.evictOldestKey(keys, 'absence_keys')
      keys.set(key, pendings)
    }
    return undefined
  }

  /** Removes a pending absence that is about to fire (or was evicted). */
  close(pending: PendingAbsence): void {
    pending.open = false
    const byTask = this.untilTaskEnd.get(pending.after.task_id)
    byTask?.delete(pending)
    if (byTask?.size === 0) this.untilTaskEnd.delete(pending.after.task_id)
    const keys = this.absences.get(pending.rule.id)
    const list = keys?.get(pending.key)
    if (!keys || !list) return
    const live = list.filter((p) => p.open)
    if (live.length === 0) keys.delete(pending.key)
    else keys.set(pending.key, live)
  }

  /** Open `until: task_end` absences opened by events of this task (any rule); forgets them. */
  takeUntilTaskEnd(taskId: string): PendingAbsence[] {
    const pending = this.untilTaskEnd.get(taskId)
    if (!pending) return []
    this.untilTaskEnd.delete(taskId)
    return [...pending].filter((p) => p.open)
  }

  private evictOldestKey<V>(map: Map<string, V>, reason: string): void {
    const oldest = map.keys().next().value
    if (oldest !== undefined) {
      const value = map.get(oldest)
      map.delete(oldest)
      if (Array.isArray(value)) for (const p of value) if ((p as PendingAbsence).open !== undefined) this.close(p as PendingAbsence)
    }
    this.hooks.dropped(reason)
  }
}

/** First index in stamps[0..limit] whose ts is ≥ `ts` (stamps sorted by ts). */
function lowerBound(stamps: Stamp[], ts: number, limit: number): number {
  let lo = 0
  let hi = limit
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (stamps[mid].ts < ts) lo = mid + 1
    else hi = mid
  }
  return lo
}

function mapFor<V>(outer: Map<string, Map<string, V>>, ruleId: string): Map<string, V> {
  let inner = outer.get(ruleId)
  if (!inner) outer.set(ruleId, (inner = new Map()))
  return inner
}

function keyString(value: unknown): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'string' ? value : (toJsonataString(value) ?? '')
}
