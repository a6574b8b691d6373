/**
 * A decision on one proposed tool call: wait (bounded) until the span it depends on was processed,
 * judge the call as the events it would become against the task's live state with the enforcing
 * rules, ask the policy set with the task's privilege path as context, and combine: a deny from
 * either denies, unless its mode is shadow. The decision is recorded in the task and answered in
 * the AuthZEN shape. In: an evaluation request and the caller's key. Out: the response and the
 * recorded authz_decision event. Not here: HTTP (routes.ts), rule or policy loading.
 */
import { randomUUID } from 'node:crypto'
import type { PrivpathEvent } from '../../core/event.js'
import { isPromise } from '../engine/drive.js'
import type { DecisionMode } from '../rules/types.js'
import type { CredentialEntry } from '../state/registry.js'
import type { TaskState } from '../state/task.js'
import type { EvaluationRequest, EvaluationResponse } from './authzen.js'
import type { SpanWaits } from './freshness.js'
import { judge, type JudgeSource, type RuleFinding } from './judge.js'
import type { PolicyDenial, PolicyInput, PolicyVerdict } from './policy-input.js'
import { policyInput } from './privilege-path.js'
import { named, proposal, type Caller } from './proposal.js'
import { decisionEvent } from './record.js'

export interface DecisionSettings {
  mode: DecisionMode
  wait_ms: number
  on_stale: 'deny' | 'allow'
}

/** What a decision reads of the running detector. */
interface DecisionState extends JudgeSource {
  liveTask(domain: string, taskId: string): TaskState | undefined
  spanTask(domain: string, spanId: string): string | undefined
  credential(domain: string, id: string): CredentialEntry | null
  exposure(domain: string, task: TaskState): { untrusted: boolean; injected: boolean }
}

export interface PolicyEvaluator {
  evaluate(input: PolicyInput): PolicyVerdict
}

export interface DeciderOptions {
  settings: DecisionSettings
  /** The running detector's state; undefined while it is still rebuilding (decisions are then stale). */
  state: () => DecisionState | undefined
  policies: () => PolicyEvaluator | null
  waits: SpanWaits
  /** Publishes the decision's event (errors are the recorder's to log). */
  record: (event: PrivpathEvent) => void
  clock?: () => number
}

export interface Decided {
  response: EvaluationResponse
  event: PrivpathEvent
}

export class Decider {
  private readonly clock: () => number

  constructor(private readonly options: DeciderOptions) {
    this.clock = options.clock ?? Date.now
  }

  async decide(request: EvaluationRequest, caller: Caller): Promise<Decided> {
    const { settings } = this.options
    const now = this.clock()
    const ids = named(request, caller)
    const { domain, taskId, traceId, afterSpanId } = ids
    const fresh = afterSpanId === '' || (await this.options.waits.wait(domain, afterSpanId, settings.wait_ms))
    const state = this.options.state()
    // a gateway may know the span that proposed the call and its trace, not privpath's task id
    const found = taskId !== '' ? taskId : (state?.spanTask(domain, afterSpanId) ?? (state?.liveTask(domain, traceId) ? traceId : ''))
    const task = state?.liveTask(domain, found)
    const lastTs = task?.last_ts ?? 0
    // the call runs after every step of its task processed so far, in the agent's clock too
    const ts = Math.max(this.clock(), lastTs)
    const { events, call } = proposal(request, caller, ids, ts, now, { id: found, tenant: task?.tenant_id ?? '' })
    let rules: RuleFinding[] = []
    let policies: PolicyDenial[] = []
    if (state !== undefined) {
      const judged = judge(state, events, settings.mode)
      rules = (isPromise(judged) ? await judged : judged).findings
      const set = this.options.policies()
      if (set !== null) {
        const ctx = state.proposed(call)
        const verdict = set.evaluate(policyInput(ctx, { credential: (id) => state.credential(domain, id), exposure: state.exposure(domain, ctx.task) }))
        policies = verdict.denials
      }
    }
    const stale = !fresh || state === undefined
    const denies = [...rules.filter((r) => r.enforce === 'deny').map((r) => r.mode), ...policies.map((p) => p.mode)]
    const staleDeny = stale && settings.on_stale === 'deny'
    const verdict = denies.length > 0 || staleDeny ? 'deny' : 'allow'
    const enforced = denies.includes('enforce') || (staleDeny && settings.mode === 'enforce')
    const mode: DecisionMode = verdict === 'deny' && !enforced ? 'shadow' : settings.mode
    const id = randomUUID()
    const event = decisionEvent({ id, call, decision: !enforced, verdict, mode, stale, rules, policies, observedAt: now, ts: lastTs > 0 ? lastTs : ts })
    this.options.record(event)
    return {
      event,
      response: {
        decision: !enforced,
        context: {
          id,
          mode,
          reason_admin: { verdict, rules, policies, stale },
          reason_user: { en: userReason(call.tool_name, verdict, rules, policies, stale) },
        },
      },
    }
  }
}

/** One sentence for the agent or its user: what was decided and the first reason, without internals. */
function userReason(tool: string, verdict: 'allow' | 'deny', rules: RuleFinding[], policies: PolicyDenial[], stale: boolean): string {
  if (verdict === 'allow') {
    const warned = rules.find((r) => r.enforce === 'warn')
    return warned ? `${tool} is allowed, with a warning: ${warned.title}.` : `${tool} is allowed.`
  }
  const rule = rules.find((r) => r.enforce === 'deny')
  if (rule) return `${tool} was denied: ${rule.title}.`
  if (policies.length > 0) return `${tool} was denied by policy: ${policies[0].reason}.`
  return stale ? `${tool} was denied: the steps before it had not been processed in time; retry shortly.` : `${tool} was denied.`
}
