/**
 * The detection engine: per event, evaluates the rules indexed under its kind against
 * `{ event, task, credential, now, config }` (state BEFORE the event), then folds the event into
 * the task state and the credential registry, fires due absences and held steps, and returns the
 * alerts raised or updated. State lives per isolation domain (domain.ts): an event only ever
 * reads and changes its own domain's. `hold` rules are judged `decision_hold_ms` after their
 * event instead, against the task as it is then, and again when a deny for the task arrives
 * within `authz_lateness_ms` after that (late-decisions.ts). `step` answers synchronously when
 * every rule it ran is compiled, with a Promise otherwise (its array is read-only); calls must not
 * overlap (await each one), which `process` and `processBatch` do for you.
 */
import { performance } from 'node:perf_hooks'
import type { Alert } from '../../core/alert.js'
import type { EventKind, PrivpathEvent } from '../../core/event.js'
import type { FirstSeenRow } from '../../core/store/first-seen.js'
import type { Telemetry } from '../../core/telemetry.js'
import type { DetectorConfig } from '../config.js'
import { boolize, NeedsInterpreter } from '../../core/expression/index.js'
import type { Rule } from '../rules/types.js'
import type { CredentialEntry } from '../state/registry.js'
import { emptyTask, type TaskState } from '../state/task.js'
import type { RuleContext } from './context.js'
import { NO_VARS, type PendingAbsence } from './correlation.js'
import type { Firing } from './dedup.js'
import { DomainState, type HeldStep } from './domain.js'
import { NO_PROVENANCE } from '../provenance/keeper.js'
import { NOTHING_NEW } from '../state/first-seen.js'
import { ValueHasher } from '../provenance/values.js'
import { drive, isPromise, type Maybe, type RuleRun } from './drive.js'
import { LateDecisions } from './late-decisions.js'
import { detectorMetrics, STATE_STRUCTURES, type DetectorMetrics, type StateSizes } from './metrics.js'

const NO_ALERTS: Alert[] = Object.freeze([]) as unknown as Alert[]
const ERROR_LOG_INTERVAL_MS = 10_000
/** Every how many events rule budgets and the evaluation time are measured (see `step`). */
const TIMING_SAMPLE = 8

export interface EngineOptions {
  rules: Rule[]
  config: DetectorConfig
  telemetry: Telemetry
  /** Wall clock for `updated_at`; injectable for tests. */
  clock?: () => number
  /** Each fact first-seen state learns, to keep in the store (loadFirstSeen reads them back). */
  onFirstSeen?: (row: FirstSeenRow) => void
}

export interface EngineStats {
  events: number
  /** The newest event time of any domain. */
  watermark: number
  domains: number
  rules: number
  tasks: number
  credentials: number
  dedupWindows: number
  thresholdGroups: number
  sequencePartials: number
  pendingAbsences: number
}

type FiringRun = Maybe<Firing | undefined>

/** The rules of one event kind: judged at once, or held until decisions had time to arrive. */
interface KindRules {
  now: Rule[]
  held: Rule[]
  /** Both, for a proposed step (decisions judge held rules at once). */
  all: Rule[]
}

export class DetectorEngine {
  private readonly domains = new Map<string, DomainState>()
  private readonly metrics: DetectorMetrics
  private readonly lastErrorLog = new Map<string, number>()
  private readonly clock: () => number
  private readonly holdMs: number
  /** One key for the value hashes of every domain's provenance (per process: state is rebuilt by replay). */
  private readonly hasher = new ValueHasher()
  private byKind = new Map<EventKind, KindRules>()
  private rulesById = new Map<string, Rule>()
  private untilTaskEnd: Rule[] = []
  private evaluated = 0
  /** The last domain an event went to: consecutive events nearly always share it. */
  private recent: DomainState | undefined
  /** Wall-clock time of the batch being stepped (one clock read per batch). */
  private wallNow = 0
  /** Judged steps, for denies that arrive after them (late-decisions.ts). */
  private readonly late: LateDecisions

  constructor(private readonly options: EngineOptions) {
    const { config, telemetry } = options
    this.clock = options.clock ?? Date.now
    this.holdMs = Math.min(config.decision_hold_ms, config.allowed_lateness_ms)
    this.metrics = detectorMetrics(telemetry.registry, () => this.sizes(), () => this.stateSizes())
    this.late = new LateDecisions({
      config,
      registry: telemetry.registry,
      rule: (id) => this.rulesById.get(id),
      evaluate: (domain, rule, ctx, lag) => this.evaluate(domain, rule, ctx, lag),
      evicted: (reason) => this.metrics.evictions.inc({ what: 'judged_step', reason }),
    })
    this.replaceRules(options.rules)
  }

  get config(): DetectorConfig {
    return this.options.config
  }

  /** The newest event time of any domain. */
  get watermark(): number {
    let newest = Number.NEGATIVE_INFINITY
    for (const d of this.domains.values()) if (d.watermark > newest) newest = d.watermark
    return newest
  }

  private domainOf(domain: string): DomainState {
    const recent = this.recent
    if (recent !== undefined && recent.id === domain) return recent
    let state = this.domains.get(domain)
    if (!state) {
      state = new DomainState(domain, {
        config: this.options.config,
        hasher: this.hasher,
        clock: this.clock,
        evicted: (what, reason, count = 1) => this.metrics.evictions.inc({ what, reason }, count),
        suppressed: (rule, exception) => this.metrics.suppressed.inc({ rule: rule.id, exception }),
        dropped: (reason) => this.metrics.dropped.inc({ reason }),
        firstSeen: this.options.onFirstSeen,
      })
      this.domains.set(domain, state)
    }
    this.recent = state
    return state
  }

  private sizes(): { tasks: number; credentials: number; tombstones: number } {
    let tasks = 0
    let credentials = 0
    let tombstones = 0
    for (const d of this.domains.values()) {
      tasks += d.tasks.size
      credentials += d.registry.size
      tombstones += d.registry.tombstoneCount
    }
    return { tasks, credentials, tombstones }
  }

  /** Entries per state structure, over every domain (`privpath_detector_state_entries`). */
  stateSizes(): StateSizes {
    const sizes = Object.fromEntries(STATE_STRUCTURES.map((s) => [s, 0])) as StateSizes
    for (const d of this.domains.values()) {
      sizes.tasks += d.tasks.size
      sizes.credentials += d.registry.size
      sizes.tombstones += d.registry.tombstoneCount
      sizes.task_ends += d.registry.taskEndCount
      sizes.agents += d.agents.size
      sizes.provenance_values += d.provenance.values
      sizes.dedup_windows += d.dedup.size
      const windows = d.correlation.sizes()
      sizes.threshold_groups += windows.thresholdGroups
      sizes.sequence_partials += windows.sequencePartials
      sizes.pending_absences += windows.pendingAbsences
      sizes.held_steps += d.held.size
    }
    return sizes
  }

  /** The registry entry a domain holds for a credential id (tests, tools). */
  credential(domain: string, credentialId: string): CredentialEntry | null {
    return this.domains.get(domain)?.registry.get(credentialId) ?? null
  }

  /** The state a domain holds for a task (tests, tools). */
  task(domain: string, taskId: string): TaskState | null {
    return this.domains.get(domain)?.tasks.get(taskId) ?? null
  }

  /** Hot reload: state, windows and open alerts of rules that keep their id and form survive. */
  replaceRules(rules: Rule[]): void {
    for (const [id, old] of this.rulesById) {
      const next = rules.find((r) => r.id === id)
      for (const domain of this.domains.values()) {
        if (!next || next.correlation.type !== old.correlation.type) domain.correlation.forgetRule(id)
        if (!next) domain.dedup.forgetRule(id)
      }
    }
    this.rulesById = new Map(rules.map((r) => [r.id, r]))
    this.byKind = new Map()
    for (const rule of rules) {
      for (const kind of rule.on) {
        let entry = this.byKind.get(kind)
        if (!entry) this.byKind.set(kind, (entry = { now: [], held: [], all: [] }))
        ;(rule.hold && this.holdMs > 0 ? entry.held : entry.now).push(rule)
        entry.all.push(rule)
      }
    }
    this.untilTaskEnd = rules.filter((r) => r.correlation.type === 'absence' && r.correlation.untilTaskEnd)
  }

  rules(): Rule[] {
    return [...this.rulesById.values()]
  }

  /** First-seen facts from the store (oldest first), before events are stepped. */
  loadFirstSeen(rows: Iterable<FirstSeenRow>): void {
    for (const row of rows) this.domainOf(row.domain).firstSeen.load(row)
  }

  /**
   * Folds an event into state without evaluating rules (history replay after a restart): each
   * task's events oldest first, tasks in any order (a task is marked active at its events' time,
   * not the domain's). With `task` false only the registry takes it: a credential event of a task
   * the detector no longer holds. `restored()` ends a restore.
   */
  restore(event: PrivpathEvent, task = true): void {
    const domain = this.domainOf(event.domain)
    if (domain.repeats(event)) return
    domain.firstSeen.learn(event)
    domain.advance(event.ts)
    if (task) domain.tasks.apply(event, event.ts)
    domain.registry.apply(event)
    domain.agents.note(event, domain.tasks.get(event.task_id)?.agents ?? [])
    domain.spans.add(event.span_id, event.task_id)
  }

  /** After a restore: tasks leave at the cap least recently active first, whatever order they were restored in. */
  restored(): void {
    for (const domain of this.domains.values()) domain.tasks.settle()
  }

  /** Whether state is held for the task in the domain (a rebuild must not apply its events twice). */
  hasTask(taskId: string, domain = ''): boolean {
    return this.domains.get(domain)?.tasks.get(taskId) !== undefined
  }

  /**
   * The context a proposed step would be judged in (detector/decision): its domain's live task,
   * credential, provenance and time, read without changing any state.
   */
  proposed(event: PrivpathEvent): RuleContext {
    const domain = this.domains.get(event.domain)
    const task = domain?.tasks.get(event.task_id) ?? emptyTask(event.task_id, event.tenant_id)
    return {
      event,
      task,
      credential: domain?.registry.get(event.credential_id) ?? null,
      now: Math.max(domain?.watermark ?? Number.NEGATIVE_INFINITY, event.ts),
      config: this.options.config,
      provenance: domain?.provenance.inspect(event, task) ?? NO_PROVENANCE,
      agent_has_decisions: domain?.agents.has(event.agent_id) ?? false,
      first_seen: domain?.firstSeen.judge(event) ?? NOTHING_NEW,
    }
  }

  /** Whether a domain folded a span into state lately (the decision endpoint's freshness wait). */
  processedSpan(domain: string, spanId: string): boolean {
    return this.domains.get(domain)?.spans.has(spanId) ?? false
  }

  /** The task a recently processed span was placed in (a decision that names only its span). */
  spanTask(domain: string, spanId: string): string | undefined {
    return this.domains.get(domain)?.spans.taskOf(spanId)
  }

  /** A domain's live task state, read-only (decisions). */
  liveTask(domain: string, taskId: string): TaskState | undefined {
    return this.domains.get(domain)?.tasks.get(taskId)
  }

  /** Whether a task read untrusted tool output, and saw injected instructions in it (decisions' policy context). */
  exposure(domain: string, task: TaskState): { untrusted: boolean; injected: boolean } {
    return this.domains.get(domain)?.provenance.exposure(task) ?? { untrusted: false, injected: false }
  }

  /** The rules judged on events of a kind, held ones included (decisions). */
  rulesOn(kind: EventKind): readonly Rule[] {
    return this.byKind.get(kind)?.all ?? []
  }

  /** Credential events (and task ends) from the `credentials` topic (Kafka mode); idempotent. */
  updateRegistry(event: PrivpathEvent): void {
    this.domainOf(event.domain).registry.apply(event)
  }

  async process(event: PrivpathEvent): Promise<Alert[]> {
    this.wallNow = this.clock()
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
    if (from === 0) this.wallNow = this.clock()
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
    // one event in TIMING_SAMPLE is timed (rule budgets, the evaluation histogram): two clock reads
    // per rule on every event cost more than evaluating most rules, and a rule that runs over its
    // budget does so on many events
    const timed = this.evaluated % TIMING_SAMPLE === 0
    const started = timed ? performance.now() : 0
    const domain = this.domainOf(event.domain)
    if (domain.repeats(event)) return NO_ALERTS
    domain.arrivedAt = this.wallNow
    // how far behind its domain the event arrived: windows of a task that is late as a whole
    // are judged in its own time and expire that much later, so it is evaluated fully
    const lag = domain.advance(event.ts)
    if (lag > this.options.config.allowed_lateness_ms) this.metrics.lateEvents.inc()
    const task = domain.tasks.peek(event)
    const ctx: RuleContext = {
      event,
      task,
      credential: domain.registry.get(event.credential_id),
      now: domain.watermark,
      config: this.options.config,
      provenance: domain.provenance.annotate(event, task),
      agent_has_decisions: domain.agents.has(event.agent_id),
      first_seen: domain.firstSeen.judge(event),
    }
    let runs: FiringRun[] | undefined
    let async = false
    const budget = this.options.config.rule_timeout_ms
    let before = started
    const rules = this.byKind.get(event.kind)
    if (rules) {
      for (const rule of rules.now) {
        const run = this.evaluate(domain, rule, ctx, lag)
        if (timed) {
          // one clock read per rule: the synchronous part of each rule is timed against its budget
          const after = performance.now()
          if (after - before > budget) this.ruleFailed(rule, new Error(`evaluation took ${(after - before).toFixed(1)} ms`), 'timeout')
          before = after
        }
        if (run === undefined) continue
        if (isPromise(run)) async = true
        ;(runs ??= []).push(run)
      }
      if (rules.held.length > 0 && event.task_id !== '') {
        domain.held.push({ at: domain.watermark + this.holdMs, event, rules: rules.held, lag, provenance: ctx.provenance, first_seen: ctx.first_seen })
      }
    }
    if (async) return Promise.all(runs!).then((firings) => this.afterRules(domain, event, task, lag, firings, started))
    return this.afterRules(domain, event, task, lag, runs as Array<Firing | undefined> | undefined, started)
  }

  /** State updates, then timers and held steps, after every rule saw the state before the event. */
  private afterRules(
    domain: DomainState,
    event: PrivpathEvent,
    task: TaskState,
    lag: number,
    firings: Array<Firing | undefined> | undefined,
    started: number,
  ): Maybe<Alert[]> {
    domain.provenance.record(event, domain.tasks.apply(event, domain.watermark, event.task_id === '' ? undefined : task))
    domain.registry.apply(event)
    domain.agents.note(event, task.agents)
    // the decision endpoint's own records are not what a decision waits for, and would push out the agents' spans
    if (event.authz_engine !== 'privpath') domain.spans.add(event.span_id, event.task_id)
    domain.firstSeen.learn(event)
    let more: FiringRun[] | undefined
    if (event.kind === 'task_end' && this.untilTaskEnd.length > 0) more = this.fireTaskEnd(domain, event, lag, more)
    const now = domain.watermark
    const top = domain.absenceTimers.peek()
    if (top && top.at <= now) more = this.fireDue(domain, now, more)
    // steps judged earlier see a late deny here; those due just below see it in their task anyway
    if (event.kind === 'authz_decision') more = this.late.rejudge(domain, event, more)
    const held = domain.held.peek()
    if (held && held.at <= now) more = this.releaseHeld(domain, now, more)
    domain.sweep(now, this.rulesById)
    this.evaluated++
    this.metrics.events.inc()
    if (more && more.some(isPromise)) return Promise.all(more).then((extra) => this.finish(firings, extra, started))
    return this.finish(firings, more as Array<Firing | undefined> | undefined, started)
  }

  private finish(firings: Array<Firing | undefined> | undefined, extra: Array<Firing | undefined> | undefined, started: number): Alert[] {
    // the sampled events' evaluation time goes into the histogram (`evaluated` moved on by one since)
    if (started !== 0) this.metrics.evaluation.observe((performance.now() - started) / 1000)
    if (!firings && !extra) return NO_ALERTS
    return this.record(firings && extra ? [...firings, ...extra] : (firings ?? extra)!)
  }

  /**
   * Wall-clock tick: in every domain, fires `within` absences whose deadline + allowed lateness
   * has passed and judges held steps, so they resolve in a live system when no more events
   * arrive; idle domains are swept. A domain's time here is its watermark moved on by the wall
   * time since its last event (DomainState.idleNow).
   */
  tick(wallNow: number): Maybe<Alert[]> {
    let runs: FiringRun[] | undefined
    for (const domain of this.domains.values()) {
      const now = domain.idleNow(wallNow) - this.options.config.allowed_lateness_ms
      runs = this.releaseHeld(domain, now, this.fireDue(domain, now, runs))
      domain.sweep(now, this.rulesById)
    }
    return this.recordRuns(runs ?? [])
  }

  /** Fires absences and judges held steps due by event time `until` in every domain (end of a test or a replay). */
  advance(until: number): Maybe<Alert[]> {
    let runs: FiringRun[] | undefined
    for (const domain of this.domains.values()) runs = this.releaseHeld(domain, until, this.fireDue(domain, until, runs))
    return this.recordRuns(runs ?? [])
  }

  stats(): EngineStats {
    const sizes = this.stateSizes()
    return {
      events: this.evaluated,
      watermark: this.watermark,
      domains: this.domains.size,
      rules: this.rulesById.size,
      tasks: sizes.tasks,
      credentials: sizes.credentials,
      dedupWindows: sizes.dedup_windows,
      thresholdGroups: sizes.threshold_groups,
      sequencePartials: sizes.sequence_partials,
      pendingAbsences: sizes.pending_absences,
    }
  }

  /** How often each exception suppressed a firing (`rule\0exception` → count), over every domain. */
  exceptionHits(): ReadonlyMap<string, number> {
    const hits = new Map<string, number>()
    for (const domain of this.domains.values()) {
      for (const [key, count] of domain.correlation.exceptionHits) hits.set(key, (hits.get(key) ?? 0) + count)
    }
    return hits
  }

  private recordRuns(runs: FiringRun[]): Maybe<Alert[]> {
    return runs.some(isPromise) ? Promise.all(runs).then((f) => this.record(f)) : this.record(runs as Array<Firing | undefined>)
  }

  private evaluate(domain: DomainState, rule: Rule, ctx: RuleContext, lag: number): FiringRun | undefined {
    const c = rule.correlation
    const correlation = domain.correlation
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
          return this.guard(rule, correlation.plain(rule, ctx, lag))
        }
      }
    }
    let run: RuleRun<Firing | undefined>
    switch (c.type) {
      case 'none':
        run = rule.when?.sync ? correlation.fire(rule, ctx, NO_VARS, [ctx.event.event_id], ctx.event.ts, lag) : correlation.plain(rule, ctx, lag)
        break
      case 'threshold':
        run = correlation.threshold(rule, ctx, lag)
        break
      case 'sequence':
        run = correlation.sequence(rule, ctx, lag)
        break
      case 'absence':
        run = correlation.absence(rule, ctx, lag)
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

  private fireTaskEnd(domain: DomainState, event: PrivpathEvent, lag: number, runs: FiringRun[] | undefined): FiringRun[] | undefined {
    for (const pending of domain.correlation.takeUntilTaskEnd(event.task_id)) (runs ??= []).push(this.fireAbsence(domain, pending, event.ts, lag))
    return runs
  }

  private fireDue(domain: DomainState, limit: number, runs: FiringRun[] | undefined): FiringRun[] | undefined {
    const timers = domain.absenceTimers
    for (let top = timers.peek(); top && top.at <= limit; top = timers.peek()) {
      timers.pop()
      const pending = top.pending
      if (pending.open) (runs ??= []).push(this.fireAbsence(domain, pending, pending.deadline!, pending.lag))
    }
    return runs
  }

  private fireAbsence(domain: DomainState, pending: PendingAbsence, at: number, lag: number): FiringRun {
    domain.correlation.close(pending)
    const after = pending.after
    const rule = this.rulesById.get(pending.rule.id) ?? pending.rule
    const ctx: RuleContext = {
      event: after,
      task: domain.tasks.get(after.task_id) ?? emptyTask(after.task_id, after.tenant_id),
      credential: domain.registry.get(after.credential_id),
      now: at,
      config: this.options.config,
      provenance: NO_PROVENANCE,
      agent_has_decisions: domain.agents.has(after.agent_id),
      first_seen: NOTHING_NEW,
    }
    return this.guard(rule, domain.correlation.fire(rule, ctx, { after }, [after.event_id], at, lag))
  }

  /**
   * Judges the held steps due by `limit` against their task as it is now: decisions and approvals
   * that arrived after the step, up to its time + the hold, are in it (rules compare times). The
   * steps are then kept for a deny arriving later still (late-decisions.ts).
   */
  private releaseHeld(domain: DomainState, limit: number, runs: FiringRun[] | undefined): FiringRun[] | undefined {
    const held = domain.held
    for (let top = held.peek(); top && top.at <= limit; top = held.peek()) {
      held.shift()
      const { event, rules, lag, provenance, first_seen }: HeldStep = top
      const track = this.late.remember(domain, top)
      const ctx: RuleContext = {
        event,
        task: domain.tasks.get(event.task_id) ?? emptyTask(event.task_id, event.tenant_id),
        credential: domain.registry.get(event.credential_id),
        now: event.ts + this.holdMs,
        config: this.options.config,
        provenance,
        agent_has_decisions: domain.agents.has(event.agent_id),
        first_seen,
      }
      for (const stale of rules) {
        // a hot reload since the step was held judges it with the rule as it is now
        const rule = this.rulesById.get(stale.id)
        if (rule === undefined || !rule.hold) continue
        const run = this.evaluate(domain, rule, ctx, lag)
        if (run !== undefined) (runs ??= []).push(track ? track(rule.id, run) : run)
      }
    }
    return runs
  }

  private record(firings: Array<Firing | undefined>): Alert[] {
    const alerts: Alert[] = []
    for (const firing of firings) {
      if (!firing) continue
      const { alert, created } = this.domainOf(firing.domain).dedup.record(firing, firing.rule.dedup.windowMs)
      if (created) this.metrics.alerts.inc({ rule: alert.rule_id, severity: alert.severity })
      else this.metrics.alertUpdates.inc({ rule: alert.rule_id })
      alerts.push(alert)
    }
    return alerts
  }
}
