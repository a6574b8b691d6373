/**
 * One isolation domain's detector state: its watermark, tasks, credential registry, correlation
 * windows, dedup windows, absence timers and held steps. A domain is the tenant of the key the
 * events were sent with ('' for the deployment: no keys, or an admin key), so nothing sent with
 * one key can read, extend, evict or time out what another key's tenant is judged on: state is
 * not merely keyed by tenant, it is separate, caps included.
 */
import { isSharedInvocation, type PrivpathEvent } from '../../core/event.js'
import { MinHeap } from '../../core/heap.js'
import type { DetectorConfig } from '../config.js'
import type { Rule } from '../rules/types.js'
import { AgentDecisions } from '../state/agents.js'
import { RecentSpans } from '../state/recent-spans.js'
import { FirstSeen, type FirstSeenContext, type FirstSeenRow } from '../state/first-seen.js'
import { LruMap } from '../state/lru.js'
import { CredentialRegistry } from '../state/registry.js'
import { TaskStore, type TaskEviction } from '../state/tasks.js'
import { findInjections } from '../provenance/injection.js'
import { ProvenanceKeeper, type EventProvenance } from '../provenance/keeper.js'
import type { ValueHasher } from '../provenance/values.js'
import { CorrelationState, type PendingAbsence } from './correlation.js'
import { DedupTable } from './dedup.js'

const SWEEP_EVERY_MS = 1_000
/** Agents remembered as having had policy decisions, per domain (state/agents.ts). */
const MAX_AGENTS_WITH_DECISIONS = 10_000
/**
 * Spans remembered as processed, per domain, for the decision endpoint's freshness wait: a decision
 * names a span exported moments before it asks, far fewer than this many spans ago (about 6 MB
 * per domain when full).
 */
const RECENT_SPANS = 65_536
/** Correlation windows are also checked when touched; the sweep only reclaims idle ones. */
const CORRELATION_SWEEP_EVERY_MS = 30_000
/** Invocations reported by several spans (MCP client and server), remembered per domain to take each once. */
const MAX_SHARED_INVOCATIONS = 50_000

/** A step whose `hold` rules are judged once the domain's time passed its time + the hold. */
export interface HeldStep {
  /** Watermark time at which it is judged: the domain's watermark when it arrived + the hold. */
  at: number
  event: PrivpathEvent
  rules: Rule[]
  lag: number
  provenance: EventProvenance
  first_seen: FirstSeenContext
}

/**
 * Held steps in arrival order. A step is due at the domain's watermark on arrival plus a constant
 * hold, and the watermark never goes back, so arrival order is due order: a queue, not a heap.
 */
class HeldQueue {
  private items: HeldStep[] = []
  private head = 0

  get size(): number {
    return this.items.length - this.head
  }

  push(step: HeldStep): void {
    this.items.push(step)
  }

  peek(): HeldStep | undefined {
    return this.items[this.head]
  }

  shift(): HeldStep | undefined {
    const step = this.items[this.head]
    if (step === undefined) return undefined
    this.items[this.head++] = undefined as unknown as HeldStep
    // compact once the consumed prefix is most of the array
    if (this.head > 1_024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return step
  }
}

export interface DomainHooks {
  config: DetectorConfig
  hasher: ValueHasher
  clock: () => number
  evicted(what: string, reason: string, count?: number): void
  suppressed(rule: Rule, exception: string): void
  dropped(reason: string): void
  /** A fact first-seen state learned, for the store (absent: nothing is kept beyond the process). */
  firstSeen?: (row: FirstSeenRow) => void
}

export class DomainState {
  /** The newest event time seen in this domain (after the collector bounded it). */
  watermark = Number.NEGATIVE_INFINITY
  /** Wall-clock time of the domain's latest event: a tick moves an idle domain on by the time since. */
  arrivedAt = Number.NEGATIVE_INFINITY
  readonly tasks: TaskStore
  readonly registry: CredentialRegistry
  /** Agents that have ever had an authz decision: a call without one is then a bypass, not posture. */
  readonly agents: AgentDecisions
  readonly dedup: DedupTable
  readonly correlation: CorrelationState
  readonly provenance: ProvenanceKeeper
  /** What each agent has used, delegated to and been offered (first-seen rules). */
  readonly firstSeen: FirstSeen
  private readonly invocations = new LruMap<true>()
  readonly absenceTimers = new MinHeap<{ at: number; pending: PendingAbsence }>()
  readonly held = new HeldQueue()
  /** Spans folded into state lately (decision freshness). */
  readonly spans = new RecentSpans(RECENT_SPANS)
  private lastSweep = Number.NEGATIVE_INFINITY
  private lastCorrelationSweep = Number.NEGATIVE_INFINITY

  constructor(
    readonly id: string,
    private readonly hooks: DomainHooks,
  ) {
    const { config } = hooks
    this.tasks = new TaskStore(
      { retentionMs: config.task_retention_ms, inactivityMs: config.task_inactivity_ms, max: config.max_tasks, untrustedOutputTools: config.untrusted_output_tools },
      (reason: TaskEviction, task) => {
        this.provenance.forget(task)
        hooks.evicted('task', reason)
      },
      (list, reason) => hooks.evicted(`task_${list}`, reason),
    )
    this.registry = new CredentialRegistry(
      { graceMs: config.credential_grace_ms, max: config.max_credentials, tombstoneMs: config.credential_tombstone_ms, maxTombstones: config.max_credential_tombstones },
      (reason, what) => hooks.evicted(what, reason),
    )
    this.agents = new AgentDecisions(MAX_AGENTS_WITH_DECISIONS, () => hooks.evicted('agent_decisions', 'cap'))
    this.dedup = new DedupTable(hooks.clock)
    this.firstSeen = new FirstSeen(
      id,
      { learningTasks: config.first_seen_learning_tasks, learningMs: config.first_seen_learning_ms, max: config.max_first_seen },
      hooks.firstSeen,
      (count) => hooks.evicted('first_seen', 'cap', count),
    )
    this.provenance = new ProvenanceKeeper({ hasher: hooks.hasher, untrustedTools: () => config.untrusted_output_tools, findInjections })
    this.correlation = new CorrelationState({
      watermark: () => this.watermark,
      lateness: () => config.allowed_lateness_ms,
      suppressed: hooks.suppressed,
      dropped: hooks.dropped,
      expectDelay: (rule, after) => {
        const c = rule.correlation
        return c.type === 'absence' && c.expect.on.includes('authz_decision') && this.agents.reportsLate(after.agent_id) ? config.authz_lateness_ms : 0
      },
      scheduleAbsence: (pending) => {
        if (pending.due !== null) this.absenceTimers.push({ at: pending.due, pending })
      },
    })
  }

  /**
   * Whether the event is a further report of an invocation already taken (the server span of an
   * MCP tools/call whose client span came first, or the reverse): it is then not judged or
   * counted again, only learned from (its side may name the server otherwise).
   */
  repeats(event: PrivpathEvent): boolean {
    if (!isSharedInvocation(event)) return false
    if (this.invocations.has(event.event_id)) {
      this.firstSeen.learn(event)
      return true
    }
    this.invocations.set(event.event_id, true)
    if (this.invocations.size > MAX_SHARED_INVOCATIONS) {
      this.invocations.delete(this.invocations.oldest()![0])
      this.hooks.evicted('shared_invocation', 'cap')
    }
    return false
  }

  /** Folds an event's time in; returns how far behind the watermark it arrived. */
  advance(ts: number): number {
    if (ts > this.watermark) {
      this.watermark = ts
      return 0
    }
    return this.watermark - ts
  }

  /**
   * The domain's time as a wall-clock tick sees it: the watermark moved on by the wall time since
   * its last event, but never past the wall clock. A live domain's watermark is about the wall
   * clock; a backfill's is far behind it, and its windows must not all close at the next tick.
   */
  idleNow(wallNow: number): number {
    if (!Number.isFinite(this.watermark)) return wallNow
    return Math.min(wallNow, this.watermark + Math.max(0, wallNow - this.arrivedAt))
  }

  /** Evicts what is due by `now`, at most once a second of domain time. */
  sweep(now: number, rules: Map<string, Rule>): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return
    this.lastSweep = now
    const inactive = this.tasks.evict(now)
    for (const task of inactive) {
      const dropped = this.correlation.takeUntilTaskEnd(task.task_id)
      // a task that never ended does not fire its until-task-end absences: it may resume
      for (const pending of dropped) this.correlation.close(pending)
      if (dropped.length > 0) this.hooks.dropped('task_inactive')
    }
    this.registry.evict(now)
    const evicted = this.dedup.evict(now - this.hooks.config.allowed_lateness_ms)
    if (evicted > 0) this.hooks.evicted('dedup_window', 'closed', evicted)
    if (now - this.lastCorrelationSweep >= CORRELATION_SWEEP_EVERY_MS) {
      this.lastCorrelationSweep = now
      this.correlation.sweep(rules)
    }
  }
}
