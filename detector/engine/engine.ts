/**
 * The detection engine: per event, evaluates the rules indexed under its kind against
 * `{ event, task, credential, now, config }` (state BEFORE the event), then folds the event into
 * the task state and the credential registry, fires due absences, and returns the alerts raised
 * or updated. `step` answers synchronously when every rule it ran is compiled, with a Promise
 * otherwise (its array is read-only); calls must not overlap (await each one), which
 * `process` and `processBatch` do for you.
 */
import { performance } from 'node:perf_hooks'
import type { Alert } from '../../core/alert.js'
import type { EventKind, PrivpathEvent } from '../../core/event.js'
import { MinHeap } from '../../core/heap.js'
import type { Telemetry } from '../../core/telemetry.js'
import type { DetectorConfig } from '../config.js'
import { boolize, NeedsInterpreter } from '../../core/expression/index.js'
import type { Rule } from '../rules/types.js'
import { CredentialRegistry } from '../state/registry.js'
import { emptyTask, type TaskState } from '../state/task.js'
import { TaskStore } from '../state/tasks.js'
import type { RuleContext } from './context.js'
import { CorrelationState, NO_VARS, type PendingAbsence } from './correlation.js'
import { DedupTable, type Firing } from './dedup.js'
import { drive, isPromise, type Maybe, type RuleRun } from './drive.js'
import { detectorMetrics, type DetectorMetrics } from './metrics.js'

const SWEEP_EVERY_MS = 1_000
/** Correlation windows are also checked when touched; the sweep only reclaims idle ones. */
const CORRELATION_SWEEP_EVERY_MS = 30_000
const NO_ALERTS: Alert[] = Object.freeze([]) as unknown as Alert[]
const ERROR_LOG_INTERVAL_MS = 10_000
/** Every how many events the evaluation time is observed (see `finish`). */
const EVALUATION_SAMPLE = 16

export interface EngineOptions {
  rules: Rule[]
  config: DetectorConfig
  telemetry: Telemetry
  /** Wall clock for `updated_at`; injectable for tests. */
  clock?: () => number
}

export interface EngineStats {
  events: number
  watermark: number
  rules: number
  tasks: number
  credentials: number
  dedupWindows: number
  thresholdGroups: number
  sequencePartials: number
  pendingAbsences: number
}

type FiringRun = Maybe<Firing | undefined>

export class DetectorEngine {
  readonly registry: CredentialRegistry
  private readonly tasks: TaskStore
  private readonly dedup: DedupTable
  private readonly correlation: CorrelationState
  private readonly absenceTimers = new MinHeap<{ at: number; pending: PendingAbsence }>()
  private readonly metrics: DetectorMetrics
  private readonly lastErrorLog = new Map<string, number>()
  private readonly clock: () => number
  private byKind = new Map<EventKind, Rule[]>()
  private rulesById = new Map<string, Rule>()
  private untilTaskEnd: Rule[] = []
  private watermarkMs = Number.NEGATIVE_INFINITY
  private lastSweep = Number.NEGATIVE_INFINITY
  private lastCorrelationSweep = Number.NEGATIVE_INFINITY
  private evaluated = 0

  constructor(private readonly options: EngineOptions) {
    const { config, telemetry } = options
    this.clock = options.clock ?? Date.now
    this.metrics = detectorMetrics(telemetry.registry, () => ({ tasks: this.tasks.size, credentials: this.registry.size }))
    this.tasks = new TaskStore(
      { retentionMs: config.task_retention_ms, max: config.max_tasks, untrustedOutputTools: config.untrusted_output_tools },
      (reason) => this.metrics.evictions.inc({ what: 'task', reason }),
    )
    this.registry = new CredentialRegistry(
      { graceMs: config.credential_grace_ms, max: config.max_credentials },
      (reason) => this.metrics.evictions.inc({ what: 'credential', reason }),
    )
    this.dedup = new DedupTable(this.clock)
    this.correlation = new CorrelationState({
      watermark: () => this.watermarkMs,
      lateness: () => config.allowed_lateness_ms,
      suppressed: (rule, exception) => this.metrics.suppressed.inc({ rule: rule.id, exception }),
      dropped: (reason) => this.metrics.dropped.inc({ reason }),
      scheduleAbsence: (pending) => {
        if (pending.deadline !== null) this.absenceTimers.push({ at: pending.deadline, pending })
      },
    })
    this.replaceRules(options.rules)
  }

  get config(): DetectorConfig {
    return this.options.config
  }

  get watermark(): number {
    return this.watermarkMs
  }

  /** Hot reload: state, windows and open alerts of rules that keep their id and form survive. */
  replaceRules(rules: Rule[]): void {
    for (const [id, old] of this.rulesById) {
      const next = rules.find((r) => r.id === id)
      if (!next || next.correlation.type !== old.correlation.type) this.correlation.forgetRule(id)
      if (!next) this.dedup.forgetRule(id)
    }
    this.rulesById = new Map(rules.map((r) => [r.id, r]))
    this.byKind = new Map()
    for (const rule of rules) {
      for (const kind of rule.on) {
        const list = this.byKind.get(kind) ?? []
        list.push(rule)
        this.byKind.set(kind, list)
      }
    }
    this.untilTaskEnd = rules.filter((r) => r.correlation.type === 'absence' && r.correlation.untilTaskEnd)
  }

  rules(): Rule[] {
    return [...this.rulesById.values()]
  }

  /** Folds an event into state without evaluating rules (history replay after a restart). */
  restore(event: PrivpathEvent): void {
    if (event.ts > this.watermarkMs) this.watermarkMs = event.ts
    this.tasks.apply(event)
    this.registry.apply(event)
  }

  /** Whether state is held for the task (a rebuild must not apply its events twice). */
  hasTask(taskId: string): boolean {
    return this.tasks.get(taskId) !== undefined
  }

  /** Credential events from the `credentials` topic (Kafka mode); idempotent. */
  updateRegistry(event: PrivpathEvent): void {
    this.registry.apply(event)
  }

  async process(event: PrivpathEvent): Promise<Alert[]> {
    return [...(await this.step(event))]
  }

  async processBatch(events: PrivpathEvent[]): Promise<Alert[]> {
    return this.stepBatch(events)
  }

  /**
   * The alerts of a batch of events, synchronously while every rule it runs is compiled (no
   * promise per event), with a Promise from the first event that needs the interpreter on.
   */
  stepBatch(events: PrivpathEvent[], from = 0, alerts: Alert[] = []): Maybe<Alert[]> {
    for (let i = from; i < events.length; i++) {
      const out = this.step(events[i])
      if (isPromise(out)) {
        return out.then((raised) => {
          if (raised.length > 0) alerts.push(...raised)
          return this.stepBatch(events, i + 1, alerts)
        })
      }
      if (out.length > 0) alerts.push(...out)
    }
    return alerts
  }

  step(event: PrivpathEvent): Maybe<Alert[]> {
    const started = performance.now()
    const lateness = this.options.config.allowed_lateness_ms
    const late = event.ts < this.watermarkMs - lateness
    if (late) this.metrics.lateEvents.inc()
    if (event.ts > this.watermarkMs) this.watermarkMs = event.ts
    const task = this.tasks.peek(event)
    const ctx: RuleContext = {
      event,
      task,
      credential: this.registry.get(event.credential_id),
      now: this.watermarkMs,
      config: this.options.config,
    }
    let runs: FiringRun[] | undefined
    let async = false
    const budget = this.options.config.rule_timeout_ms
    let before = started
    const rules = this.byKind.get(event.kind)
    if (rules) {
      for (const rule of rules) {
        if (late && rule.correlation.type !== 'none') continue
        const run = this.evaluate(rule, ctx)
        // one clock read per rule: the synchronous part of each rule is timed against its budget
        const after = performance.now()
        if (after - before > budget) this.ruleFailed(rule, new Error(`evaluation took ${(after - before).toFixed(1)} ms`), 'timeout')
        before = after
        if (run === undefined) continue
        if (isPromise(run)) async = true
        ;(runs ??= []).push(run)
      }
    }
    if (async) return Promise.all(runs!).then((firings) => this.afterRules(event, task, firings, started))
    return this.afterRules(event, task, runs as Array<Firing | undefined> | undefined, started)
  }

  /** State updates, then timers, after every rule saw the state before the event. */
  private afterRules(event: PrivpathEvent, task: TaskState, firings: Array<Firing | undefined> | undefined, started: number): Maybe<Alert[]> {
    this.tasks.apply(event, event.task_id === '' ? undefined : task)
    this.registry.apply(event)
    let more: FiringRun[] | undefined
    if (event.kind === 'task_end' && this.untilTaskEnd.length > 0) more = this.fireTaskEnd(event, more)
    const top = this.absenceTimers.peek()
    if (top && top.at <= this.watermarkMs) more = this.fireDue(this.watermarkMs, more)
    this.maybeSweep()
    this.evaluated++
    this.metrics.events.inc()
    if (more && more.some(isPromise)) return Promise.all(more).then((extra) => this.finish(firings, extra, started))
    return this.finish(firings, more as Array<Firing | undefined> | undefined, started)
  }

  private finish(firings: Array<Firing | undefined> | undefined, extra: Array<Firing | undefined> | undefined, started: number): Alert[] {
    // one event in EVALUATION_SAMPLE is timed into the histogram: observing every event costs
    // more than evaluating most of them
    if (this.evaluated % EVALUATION_SAMPLE === 0) this.metrics.evaluation.observe((performance.now() - started) / 1000)
    if (!firings && !extra) return NO_ALERTS
    return this.record(firings && extra ? [...firings, ...extra] : (firings ?? extra)!)
  }

  /**
   * Wall-clock tick: fires `within` absences whose deadline + allowed lateness has passed, so
   * they fire in a live system even when no more events arrive.
   */
  tick(wallNow: number): Maybe<Alert[]> {
    return this.fireUntil(wallNow - this.options.config.allowed_lateness_ms)
  }

  /** Fires absences due by event time `until` (end of a test or a replay). */
  advance(until: number): Maybe<Alert[]> {
    return this.fireUntil(until)
  }

  stats(): EngineStats {
    return {
      events: this.evaluated,
      watermark: this.watermarkMs,
      rules: this.rulesById.size,
      tasks: this.tasks.size,
      credentials: this.registry.size,
      dedupWindows: this.dedup.size,
      ...this.correlation.sizes(),
    }
  }

  /** How often each exception suppressed a firing (`rule\0exception` → count). */
  exceptionHits(): ReadonlyMap<string, number> {
    return this.correlation.exceptionHits
  }

  private fireUntil(until: number): Maybe<Alert[]> {
    const runs = this.fireDue(until, undefined) ?? []
    return runs.some(isPromise) ? Promise.all(runs).then((f) => this.record(f)) : this.record(runs as Array<Firing | undefined>)
  }

  private evaluate(rule: Rule, ctx: RuleContext): FiringRun | undefined {
    const c = rule.correlation
    if (c.type === 'none') {
      // the hot path: most events fail `when`, answer that without starting a generator
      const when = rule.when?.sync
      if (when) {
        try {
          if (!boolize(when(ctx, NO_VARS))) return undefined
        } catch (error) {
          if (!(error instanceof NeedsInterpreter)) {
            this.ruleFailed(rule, error)
            return undefined
          }
          return this.guard(rule, this.correlation.plain(rule, ctx))
        }
      }
    }
    let run: RuleRun<Firing | undefined>
    switch (c.type) {
      case 'none':
        run = rule.when?.sync ? this.correlation.fire(rule, ctx, NO_VARS, [ctx.event.event_id], ctx.event.ts) : this.correlation.plain(rule, ctx)
        break
      case 'threshold':
        run = this.correlation.threshold(rule, ctx)
        break
      case 'sequence':
        run = this.correlation.sequence(rule, ctx)
        break
      case 'absence':
        run = this.correlation.absence(rule, ctx)
        break
    }
    return this.guard(rule, run)
  }

  private guard(rule: Rule, run: RuleRun<Firing | undefined>): FiringRun {
    try {
      const result = drive(run)
      if (isPromise(result)) {
        return result.catch((error: unknown) => {
          this.ruleFailed(rule, error)
          return undefined
        })
      }
      return result
    } catch (error) {
      this.ruleFailed(rule, error)
      return undefined
    }
  }

  private ruleFailed(rule: Rule, error: unknown, reason?: string): void {
    const code = (error as { code?: string })?.code
    const why = reason ?? (code === 'D1012' ? 'timeout' : 'error')
    this.metrics.ruleErrors.inc({ rule: rule.id, reason: why })
    const now = this.clock()
    const last = this.lastErrorLog.get(rule.id) ?? Number.NEGATIVE_INFINITY
    if (now - last >= ERROR_LOG_INTERVAL_MS) {
      this.lastErrorLog.set(rule.id, now)
      const message = (error as { message?: string })?.message ?? String(error)
      this.options.telemetry.logger.warn({ rule: rule.id, reason: why, code, err: message }, 'detector rule failed (logged at most every 10 s per rule)')
    }
  }

  private fireTaskEnd(event: PrivpathEvent, runs: FiringRun[] | undefined): FiringRun[] | undefined {
    for (const pending of this.correlation.takeUntilTaskEnd(event.task_id)) (runs ??= []).push(this.fireAbsence(pending, event.ts))
    return runs
  }

  private fireDue(limit: number, runs: FiringRun[] | undefined): FiringRun[] | undefined {
    for (let top = this.absenceTimers.peek(); top && top.at <= limit; top = this.absenceTimers.peek()) {
      this.absenceTimers.pop()
      if (top.pending.open) (runs ??= []).push(this.fireAbsence(top.pending, top.at))
    }
    return runs
  }

  private fireAbsence(pending: PendingAbsence, at: number): FiringRun {
    this.correlation.close(pending)
    const after = pending.after
    const rule = this.rulesById.get(pending.rule.id) ?? pending.rule
    const ctx: RuleContext = {
      event: after,
      task: this.tasks.get(after.task_id) ?? emptyTask(after.task_id, after.tenant_id),
      credential: this.registry.get(after.credential_id),
      now: at,
      config: this.options.config,
    }
    return this.guard(rule, this.correlation.fire(rule, ctx, { after }, [after.event_id], at))
  }

  private maybeSweep(): void {
    if (this.watermarkMs - this.lastSweep < SWEEP_EVERY_MS) return
    this.lastSweep = this.watermarkMs
    this.tasks.evict(this.watermarkMs)
    this.registry.evict(this.watermarkMs)
    const evicted = this.dedup.evict(this.watermarkMs - this.options.config.allowed_lateness_ms)
    if (evicted > 0) this.metrics.evictions.inc({ what: 'dedup_window', reason: 'closed' }, evicted)
    if (this.watermarkMs - this.lastCorrelationSweep >= CORRELATION_SWEEP_EVERY_MS) {
      this.lastCorrelationSweep = this.watermarkMs
      this.correlation.sweep(this.rulesById)
    }
  }

  private record(firings: Array<Firing | undefined>): Alert[] {
    const alerts: Alert[] = []
    for (const firing of firings) {
      if (!firing) continue
      const { alert, created } = this.dedup.record(firing, firing.rule.dedup.windowMs)
      if (created) this.metrics.alerts.inc({ rule: alert.rule_id, severity: alert.severity })
      else this.metrics.alertUpdates.inc({ rule: alert.rule_id })
      alerts.push(alert)
    }
    return alerts
  }
}
