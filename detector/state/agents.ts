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
  private readonly agents = new LruMap<true>()

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

  /**
   * Folds in an authz_decision. A decision without an agent (a gateway that does not know it)
   * counts for the agents its task has seen so far as well: they run behind that gateway.
   */
  note(event: PrivpathEvent, taskAgents: readonly string[]): void {
    if (event.kind !== 'authz_decision') return
    this.add(event.agent_id)
    if (event.agent_id === '') for (const agent of taskAgents) this.add(agent)
  }

  private add(agentId: string): void {
    if (!this.agents.set(agentId, true)) return
    while (this.agents.size > this.max) {
      const oldest = this.agents.oldest()
      if (!oldest) break
      this.agents.delete(oldest[0])
      this.evicted()
    }
  }
}
