/**
 * Denies that arrive after the steps they concern were judged. `hold` rules judge a step
 * decision_hold_ms after it, which covers a gateway exporting its decision a moment late, but a
 * policy engine that uploads its decisions in batches (OPA: every few minutes) reports long after.
 * So each step whose hold rules were judged is kept for detector.authz_lateness_ms (domain time),
 * per task, and a deny arriving for the task in that time judges those rules again for the
 * task's steps dated at or after the deny, against the task as it is now (deny included). A rule
 * that already raised an alert on a step is not judged again for it. The alert names the call
 * (its event first) and the decision (its event id after it, and in the path).
 *
 * Bounded and counted: at most MAX_STEPS_PER_TASK steps per task (the latest) and
 * MAX_STEPS_PER_DOMAIN per isolation domain (the oldest leave first, counted in
 * privpath_detector_evictions_total{what="judged_step"}); the kept copy of a step drops its
 * content, tool result and requested calls (the rules re-judged compare names, times and
 * statuses). Kept in memory only: a restart or a rebalance forgets them.
 */
import { Gauge, type Registry } from 'prom-client'
import type { PrivpathEvent } from '../../core/event.js'
import type { DetectorConfig } from '../config.js'
import type { Rule } from '../rules/types.js'
import { emptyTask } from '../state/task.js'
import type { RuleContext } from './context.js'
import type { Firing } from './dedup.js'
import type { DomainState, HeldStep } from './domain.js'
import { isPromise, type Maybe } from './drive.js'

type FiringRun = Maybe<Firing | undefined>

const MAX_STEPS_PER_TASK = 64
const MAX_STEPS_PER_DOMAIN = 20_000

interface JudgedStep {
  taskId: string
  step: HeldStep
  /** Rules that raised an alert on the step. */
  fired: Set<string>
  /** Left the task's list (its cap) before leaving the queue. */
  gone: boolean
}

/** One domain's judged steps: by task for the look-up, in judging order (= `at` order) for expiry and the cap. */
class JudgedSteps {
  private readonly byTask = new Map<string, JudgedStep[]>()
  private queue: JudgedStep[] = []
  private head = 0
  size = 0

  constructor(private readonly evicted: (reason: string) => void) {}

  add(taskId: string, step: HeldStep): JudgedStep {
    const judged: JudgedStep = { taskId, step, fired: new Set(), gone: false }
    let list = this.byTask.get(taskId)
    if (list === undefined) this.byTask.set(taskId, (list = []))
    list.push(judged)
    this.queue.push(judged)
    this.size++
    if (list.length > MAX_STEPS_PER_TASK) {
      list.shift()!.gone = true
      this.size--
      this.evicted('task_cap')
    }
    while (this.size > MAX_STEPS_PER_DOMAIN) {
      this.removeOldest()
      this.evicted('cap')
    }
    return judged
  }

  /** Forgets the steps judged before `horizon` (domain time). */
  expire(horizon: number): void {
    for (let top = this.peek(); top !== undefined && top.step.at < horizon; top = this.peek()) this.removeOldest()
  }

  of(taskId: string): readonly JudgedStep[] {
    return this.byTask.get(taskId) ?? []
  }

  private peek(): JudgedStep | undefined {
    while (this.head < this.queue.length && this.queue[this.head].gone) this.shift()
    return this.queue[this.head]
  }

  private removeOldest(): void {
    const oldest = this.peek()
    if (oldest === undefined) return
    this.shift()
    const list = this.byTask.get(oldest.taskId)!
    // the oldest live step of the domain is the oldest of its task
    list.shift()
    if (list.length === 0) this.byTask.delete(oldest.taskId)
    this.size--
  }

  private shift(): void {
    this.queue[this.head++] = undefined as unknown as JudgedStep
    if (this.head > 1_024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}

export interface LateDecisionHooks {
  config: DetectorConfig
  registry: Registry
  /** The rule of that id as loaded now (a hot reload since the step was judged applies). */
  rule(id: string): Rule | undefined
  evaluate(domain: DomainState, rule: Rule, ctx: RuleContext, lag: number): FiringRun | undefined
  evicted(reason: string): void
}

/** Tracks a judged step's rule runs, so a rule that fired is not raised again for it. */
export type RunTracker = (ruleId: string, run: FiringRun) => FiringRun

function markFired(judged: JudgedStep, ruleId: string, run: FiringRun): FiringRun {
  if (isPromise(run)) {
    return run.then((firing) => {
      if (firing !== undefined) judged.fired.add(ruleId)
      return firing
    })
  }
  if (run !== undefined) judged.fired.add(ruleId)
  return run
}

/** A step without what is large and not about the call itself: it is kept minutes, not seconds. */
function slim(event: PrivpathEvent): PrivpathEvent {
  return event.content === '' && event.tool_result === '' && event.requested_calls.length === 0
    ? event
    : { ...event, content: '', tool_result: '', requested_calls: [] }
}

export class LateDecisions {
  /** Domains are never dropped by the engine either. */
  private readonly domains = new Map<DomainState, JudgedSteps>()

  constructor(private readonly hooks: LateDecisionHooks) {
    const self = this
    const name = 'privpath_detector_judged_steps'
    if (hooks.registry.getSingleMetric(name) === undefined) {
      new Gauge({
        name,
        help: 'Steps whose hold rules were judged, kept detector.authz_lateness_ms so a late deny can judge them again',
        registers: [hooks.registry],
        collect() {
          this.set(self.size())
        },
      })
    }
  }

  /** Keeps a step whose hold rules are being judged; undefined when authz_lateness_ms is 0. */
  remember(domain: DomainState, step: HeldStep): RunTracker | undefined {
    const lateness = this.hooks.config.authz_lateness_ms
    if (lateness <= 0) return undefined
    const steps = this.stepsOf(domain)
    steps.expire(domain.watermark - lateness)
    const judged = steps.add(step.event.task_id, { ...step, event: slim(step.event) })
    return (ruleId, run) => markFired(judged, ruleId, run)
  }

  /** On an authz deny: the task's judged steps dated at or after it are judged again. */
  rejudge(domain: DomainState, decision: PrivpathEvent, runs: FiringRun[] | undefined): FiringRun[] | undefined {
    if (decision.kind !== 'authz_decision' || decision.authz_result !== 'deny' || decision.task_id === '') return runs
    const steps = this.domains.get(domain)
    if (steps === undefined) return runs
    steps.expire(domain.watermark - this.hooks.config.authz_lateness_ms)
    for (const judged of steps.of(decision.task_id)) {
      const { event, provenance } = judged.step
      if (event.ts < decision.ts) continue
      const ctx: RuleContext = {
        event,
        task: domain.tasks.get(event.task_id) ?? emptyTask(event.task_id, event.tenant_id),
        credential: domain.registry.get(event.credential_id),
        now: domain.watermark,
        config: this.hooks.config,
        provenance,
        agent_has_decisions: domain.agents.has(event.agent_id),
        first_seen: judged.step.first_seen,
      }
      const lag = Math.max(judged.step.lag, domain.watermark - event.ts)
      for (const stale of judged.step.rules) {
        const rule = this.hooks.rule(stale.id)
        if (rule === undefined || !rule.hold || judged.fired.has(rule.id)) continue
        const run = this.hooks.evaluate(domain, rule, ctx, lag)
        if (run !== undefined) (runs ??= []).push(markFired(judged, rule.id, explained(run, decision)))
      }
    }
    return runs
  }

  /** Steps kept over every domain. */
  size(): number {
    let size = 0
    for (const steps of this.domains.values()) size += steps.size
    return size
  }

  private stepsOf(domain: DomainState): JudgedSteps {
    let steps = this.domains.get(domain)
    if (steps === undefined) this.domains.set(domain, (steps = new JudgedSteps(this.hooks.evicted)))
    return steps
  }
}

/** The alert of a late judgement names the deny beside the call: its event id, its policy in the path. */
function explained(run: FiringRun, decision: PrivpathEvent): FiringRun {
  const explain = (firing: Firing | undefined): Firing | undefined => {
    if (firing === undefined) return undefined
    const by = decision.authz_policy !== '' ? ` by policy ${decision.authz_policy}` : ''
    const id = decision.attributes['opa.decision_id'] ?? decision.event_id
    return {
      ...firing,
      event_ids: firing.event_ids.includes(decision.event_id) ? firing.event_ids : [...firing.event_ids, decision.event_id],
      path: `${firing.path} · deny${by} arrived after the call was judged (decision ${id})`,
    }
  }
  return isPromise(run) ? run.then(explain) : explain(run)
}
