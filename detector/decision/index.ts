/**
 * Runtime decisions: the same engine that detects afterwards, asked before a privileged step runs.
 * In: AuthZEN evaluation requests (a proposed tool call, the agent, the task, the span it depends
 * on). Out: allow/deny with the rules and policies that decided, and an authz_decision event per
 * decision on the bus. Not here: the detector's event processing (it only reads its state), the
 * rule pack (rules/ marks which rules enforce), Cedar evaluation (policies/).
 */
export { decisionService } from './service.js'
export { policySource } from './policy-source.js'
