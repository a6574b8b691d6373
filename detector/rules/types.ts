/**
 * A loaded, validated rule: expressions compiled, durations in ms, ready for the engine. The rule
 * as written in YAML is RuleDocument (schema.ts).
 */
import type { AlertCategory, Severity } from '../../core/alert.js'
import type { EventKind, PrivpathEvent } from '../../core/event.js'
import type { Expression } from '../../core/expression/index.js'
import type { RuleTestExpectation } from './schema.js'

export const RULE_STATUSES = ['stable', 'test', 'experimental', 'deprecated'] as const
type RuleStatus = (typeof RULE_STATUSES)[number]

/** What a rule does to a proposed step at the decision endpoint (detector/decision). */
export const ENFORCE_ACTIONS = ['deny', 'warn', 'off'] as const
type EnforceAction = (typeof ENFORCE_ACTIONS)[number]
/** `shadow` decides and records but answers allow. */
export const DECISION_MODES = ['enforce', 'shadow'] as const
export type DecisionMode = (typeof DECISION_MODES)[number]
/** The kinds a proposed tool call is judged as: the call, and the use of the credential it presents. */
export const ENFORCEABLE_KINDS = ['tool_invocation', 'credential_used'] as const

export interface RuleException {
  name: string
  when: Expression
  owner: string
  /** Epoch ms, or null when it never expires. */
  expires: number | null
}

export interface RuleStep {
  on: EventKind[]
  when: Expression | undefined
}

export type Correlation =
  | { type: 'none' }
  | { type: 'threshold'; count: number; windowMs: number; groupBy: Expression | undefined }
  | { type: 'sequence'; by: Expression | undefined; withinMs: number; steps: RuleStep[] }
  | {
      type: 'absence'
      by: Expression | undefined
      after: RuleStep
      expect: RuleStep
      withinMs: number | null
      untilTaskEnd: boolean
    }

/** As written in the rule file: its shape is RuleSchema's. */
export type { RuleTestExpectation } from './schema.js'

export interface RuleTest {
  name: string
  config: Record<string, unknown>
  events: PrivpathEvent[]
  expect: RuleTestExpectation[]
}

export interface Rule {
  id: string
  title: string
  description: string
  severity: Severity
  /** `incident` unless the rule file says `category: posture` (a standing gap, not an event). */
  category: AlertCategory
  status: RuleStatus
  /** Kinds the rule is evaluated on (for correlation rules: the union of its steps' kinds). */
  on: EventKind[]
  when: Expression | undefined
  /**
   * Evaluated `decision_hold_ms` of event time after its event, against the task as it is then
   * (the event and whatever arrived up to its time + the hold included): for rules that read
   * authz decisions or approvals, which a gateway may export a moment after the step.
   */
  hold: boolean
  /** At the decision endpoint: deny, warn or ignore (`off`) a proposed step this rule fires on. */
  enforce: EnforceAction
  /** Overrides `decision.mode` for this rule; undefined follows it. */
  enforceMode: DecisionMode | undefined
  summary: Expression
  dedup: { key: Expression | undefined; windowMs: number }
  exceptions: RuleException[]
  frameworks: string[]
  runbook: string
  tags: string[]
  tests: RuleTest[]
  correlation: Correlation
  /** Where it was defined, for messages. */
  file: string
  line: number
}

export interface RuleProblem {
  file: string
  line: number
  col: number
  rule_id: string
  message: string
}

export interface RuleSet {
  rules: Rule[]
  errors: RuleProblem[]
  warnings: RuleProblem[]
}
