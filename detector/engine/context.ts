/** What every rule expression is evaluated against. */
import type { PrivpathEvent } from '../../core/event.js'
import type { CredentialEntry } from '../state/registry.js'
import type { TaskState } from '../state/task.js'
import type { DetectorConfig } from '../config.js'
import type { EventProvenance } from '../provenance/keeper.js'
import type { FirstSeenContext } from '../state/first-seen.js'

export interface RuleContext {
  event: PrivpathEvent
  task: TaskState
  credential: CredentialEntry | null
  now: number
  config: DetectorConfig
  /** Where a tool call's values came from (detector/provenance); empty for other events. */
  provenance: EventProvenance
  /**
   * Whether the event's agent has ever had an authz decision in this isolation domain (as of
   * evaluation): a privileged call without one is then a bypass, else a posture finding.
   */
  agent_has_decisions: boolean
  /**
   * What about the event is new for its agent in this isolation domain (detector/state/first-seen.ts),
   * judged before the event is learned; nothing is new while the agent is learning. Absence
   * firings do not judge it (always nothing new).
   */
  first_seen: FirstSeenContext
}
