/**
 * The inline replay of bench:precision: every task of the corpus replayed step by step into a
 * detector, and every tool call asked about at the decision endpoint's logic (the built-in pack's
 * enforce defaults) just before it runs — as a gateway would, after every step before it was
 * processed. A task stops at its first deny (the agent would not run the call). Measures the share
 * of succeeded attacks denied at or before their harmful call (the first call carrying a value only
 * the injection held) and the share of benign tasks that meet any deny.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { Decider } from '../../detector/decision/decide.js'
import { SpanWaits } from '../../detector/decision/freshness.js'
import { isPromise } from '../../detector/engine/drive.js'
import type { DetectorEngine } from '../../detector/engine/engine.js'
import type { EvaluationRequest } from '../../detector/decision/authzen.js'
import type { TaskClass, Trajectory } from '../../testkit/corpus/index.js'

export interface InlineTask {
  trajectory: Trajectory
  /** The task's events in publish order. */
  events: PrivpathEvent[]
}

export interface InlineResult {
  tasks: Record<TaskClass, number>
  /** Tasks that met a deny (for succeeded: at or before the harmful call). */
  denied: Record<TaskClass, number>
  /** Succeeded attacks whose harmful call was never found in the events (should be 0). */
  noHarmfulCall: number
  /** Denies by rule or policy id, per class. */
  byReason: Map<string, Record<TaskClass, number>>
  decisions: number
}

/**
 * What a gateway sends: the call as the agent made it. Arguments are the trajectory's own (the
 * stored event's are redacted: a gateway sees the secrets a call carries).
 */
function request(call: PrivpathEvent, raw: string): EvaluationRequest {
  return {
    subject: { type: 'agent', id: call.agent_id },
    action: { name: call.tool_name },
    resource: { type: 'tool', id: call.tool_name, properties: { arguments: raw, target_resource: call.target_resource, target_tenant: call.target_tenant, credential_id: call.credential_id } },
    context: { task_id: call.task_id, trace_id: call.trace_id },
  }
}

export async function inlineReplay(engine: DetectorEngine, tasks: InlineTask[], clock: () => number): Promise<InlineResult> {
  const result: InlineResult = {
    tasks: { benign: 0, resisted: 0, succeeded: 0 },
    denied: { benign: 0, resisted: 0, succeeded: 0 },
    noHarmfulCall: 0,
    byReason: new Map(),
    decisions: 0,
  }
  const recorded: PrivpathEvent[] = []
  const decider = new Decider({
    settings: { mode: 'enforce', wait_ms: 0, on_stale: 'deny' },
    state: () => engine,
    policies: () => null,
    // replayed in order: every step before a call was processed when it is asked about
    waits: new SpanWaits(() => true),
    record: (event) => recorded.push(event),
    clock,
  })
  const step = async (events: PrivpathEvent[]) => {
    const out = engine.stepBatch(events)
    if (isPromise(out)) await out
  }
  for (const { trajectory, events } of tasks) {
    const cls = trajectory.class
    result.tasks[cls]++
    const calls = new Map(trajectory.turns.flatMap((turn) => turn.calls).map((call) => [call.id, JSON.stringify(call.arguments)]))
    const rawArguments = (event: PrivpathEvent) => calls.get(event.tool_call_id) ?? event.tool_arguments
    const harmful = cls === 'succeeded' ? events.findIndex((e) => e.kind === 'tool_invocation' && trajectory.attackerValues.some((v) => rawArguments(e).includes(v))) : -1
    if (cls === 'succeeded' && harmful < 0) result.noHarmfulCall++
    for (let i = 0; i < events.length; i++) {
      const event = events[i]
      if (event.kind === 'tool_invocation') {
        result.decisions++
        const { response } = await decider.decide(request(event, rawArguments(event)), { tenant: '', authenticated: false })
        // the decision is in the task before the call, as the endpoint publishes it
        await step(recorded.splice(0))
        if (!response.decision) {
          if (cls !== 'succeeded' || i <= harmful) {
            result.denied[cls]++
            const { rules, policies } = response.context.reason_admin
            for (const id of [...rules.filter((r) => r.enforce === 'deny').map((r) => r.id), ...policies.map((p) => p.id)]) {
              const counts = result.byReason.get(id) ?? { benign: 0, resisted: 0, succeeded: 0 }
              counts[cls]++
              result.byReason.set(id, counts)
            }
          }
          break
        }
      }
      await step([event])
    }
  }
  return result
}
