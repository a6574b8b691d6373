/**
 * The agents of one isolation domain that have ever had a policy (authz) decision. A privileged
 * call without a decision means something else for each: for an agent that has decisions it is a
 * bypass of a policy engine that exists (an incident, per task); for one that never had any, the
 * agent simply runs without a policy engine (a posture finding, once per agent and tool).
 *
 * Bounded: at most `max` agents, least recently decided first out. An evicted agent reads as one
 * without decisions until its next decision, so the cap errs towards posture findings, never
 * towards more incidents.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { LruMap } from './lru.js'

export class AgentDecisions {
  /** Agent id → whether its decisions arrive in batches, late (OPA decision logs, source `opa`). */
  private readonly agents = new LruMap<boolean>()

  constructor(
    private readonly max: number,
    private readonly evicted: () => void,
  ) {}

  get size(): number {
    return this.agents.size
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId)
  }

  /** Whether the agent's decisions have come from decision logs uploaded in batches (OPA): they arrive minutes late. */
  reportsLate(agentId: string): boolean {
    return this.agents.get(agentId) === true
  }

  /**
   * Folds in an authz_decision. A decision without an agent (a gateway that does not know it)
   * counts for the agents its task has seen so far as well: they run behind that gateway.
   */
  note(event: PrivpathEvent, taskAgents: readonly string[]): void {
    if (event.kind !== 'authz_decision') return
    const late = event.source === 'opa'
    this.add(event.agent_id, late)
    if (event.agent_id === '') for (const agent of taskAgents) this.add(agent, late)
  }

  private add(agentId: string, late: boolean): void {
    // once late, always late: a decision log keeps reporting in batches
    if (!this.agents.set(agentId, late || this.agents.get(agentId) === true)) return
    while (this.agents.size > this.max) {
      const oldest = this.agents.oldest()
      if (!oldest) break
      this.agents.delete(oldest[0])
      this.evicted()
    }
  }
}
