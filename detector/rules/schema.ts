/**
 * The shape of a rule as written in a YAML file, one TypeBox schema: which fields exist, their
 * types and enums. `validate.ts` checks each rule mapping against it and adds what a schema does
 * not say: JSONata syntax, duration syntax, mutually exclusive correlation forms, inline test
 * events. Property order is the order the "allowed:" list of an unknown-field message shows.
 *
 * A field declared `Nullable` treats `field: ~` (or `field:` with nothing after it) as absent,
 * as the YAML author means it; elsewhere null is a wrong value.
 */
import Type, { type Static, type TSchema } from 'typebox'
import { ALERT_CATEGORIES, FRAMEWORKS, SEVERITIES } from '../../core/alert.js'
import { DetectorSection } from '../../core/config/schema.js'
import { EVENT_KINDS } from '../../core/event.js'
import { DECISION_MODES, ENFORCE_ACTIONS, RULE_STATUSES } from './types.js'

const KEBAB_CASE = '^[a-z0-9]+(-[a-z0-9]+)*$'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
/** Not blank: `' '` is as good as missing for an id, a title or a name. */
const Text = Type.String({ pattern: '\\S' })
/** A JSONata expression; YAML reads `true` or `42` as a boolean or a number, still valid JSONata. */
const Expression = Type.Union([Type.String(), Type.Boolean(), Type.Number()])
/** `<integer><unit>`: the syntax is checked by parseDuration. */
const Duration = Type.String()
const EventKind = Type.Enum(EVENT_KINDS)
/** One kind or a non-empty list of them. */
const EventKinds = Type.Union([EventKind, Type.Array(EventKind, { minItems: 1 })])

const Step = Type.Object(
  {
    on: EventKinds,
    when: Type.Optional(Nullable(Expression)),
  },
  { additionalProperties: false },
)

const Threshold = Type.Object(
  {
    count: Type.Integer({ minimum: 1 }),
    window: Duration,
    group_by: Type.Optional(Nullable(Expression)),
  },
  { additionalProperties: false },
)

const Sequence = Type.Object(
  {
    by: Type.Optional(Nullable(Expression)),
    within: Duration,
    steps: Type.Array(Step, { minItems: 2 }),
  },
  { additionalProperties: false },
)

/** Exactly one of `within` and `until` is a rule of its own (validate.ts). */
const Absence = Type.Object(
  {
    by: Type.Optional(Nullable(Expression)),
    after: Step,
    expect: Step,
    within: Type.Optional(Nullable(Duration)),
    until: Type.Optional(Nullable(Type.Literal('task_end'))),
  },
  { additionalProperties: false },
)

const Exception = Type.Object(
  {
    name: Text,
    when: Expression,
    owner: Type.Optional(Nullable(Type.String())),
    /** RFC3339, checked with Date.parse. */
    expires: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
)

const FrameworkIds = Nullable(Type.Array(Type.Union([Type.String(), Type.Number()])))

const Frameworks = Type.Object(
  {
    owasp_agentic: Type.Optional(FrameworkIds),
    maestro: Type.Optional(FrameworkIds),
    owasp_nhi: Type.Optional(FrameworkIds),
    mitre_atlas: Type.Optional(FrameworkIds),
  } satisfies Record<(typeof FRAMEWORKS)[number], unknown>,
  { additionalProperties: false },
)

const Expectation = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1 })),
    summary: Type.Optional(Type.String()),
    summary_contains: Type.Optional(Type.String()),
    task_id: Type.Optional(Type.String()),
    severity: Type.Optional(Type.Enum(SEVERITIES)),
    category: Type.Optional(Type.Enum(ALERT_CATEGORIES)),
  },
  { additionalProperties: false },
)

/**
 * Detector settings a test overrides. Only the names are checked here: the values reach the
 * engine as written, as the `config` of a rule expression.
 */
const TestConfig = Type.Object(
  Object.fromEntries(Object.keys(DetectorSection.properties).map((key) => [key, Type.Optional(Type.Unknown())])),
  { additionalProperties: false },
)

const Test = Type.Object(
  {
    name: Text,
    config: Type.Optional(Nullable(TestConfig)),
    /** Partial events, completed and checked by fixtures.ts. */
    events: Type.Array(Type.Unknown()),
    expect: Type.Array(Expectation),
  },
  { additionalProperties: false },
)

export const RuleSchema = Type.Object(
  {
    id: Type.String({ pattern: KEBAB_CASE }),
    title: Text,
    description: Type.Optional(Nullable(Type.String())),
    severity: Type.Enum(SEVERITIES),
    /** `incident` when absent: posture findings are listed and routed apart (docs/rules.md). */
    category: Type.Optional(Nullable(Type.Enum(ALERT_CATEGORIES))),
    status: Type.Optional(Nullable(Type.Enum(RULE_STATUSES))),
    /** Required unless the rule has a sequence or an absence, whose steps name kinds (validate.ts). */
    on: Type.Optional(EventKinds),
    when: Type.Optional(Nullable(Expression)),
    /**
     * Evaluate after `detector.decision_hold_ms` of event time (a plain rule only), so authz
     * decisions and approvals exported a moment after the step count, in timestamp order.
     */
    hold: Type.Optional(Nullable(Type.Boolean())),
    /**
     * What the decision endpoint does when the rule would fire on a proposed tool call (a plain
     * rule on tool_invocation or credential_used only): deny it, allow it with a warning, or
     * ignore the rule (`off`, the default).
     */
    enforce: Type.Optional(Nullable(Type.Enum(ENFORCE_ACTIONS))),
    /** `shadow`: decide and record, but answer allow; default `decision.mode`. */
    enforce_mode: Type.Optional(Nullable(Type.Enum(DECISION_MODES))),
    summary: Expression,
    dedup: Type.Optional(
      Type.Object({ key: Type.Optional(Nullable(Expression)), window: Type.Optional(Nullable(Duration)) }, { additionalProperties: false }),
    ),
    exceptions: Type.Optional(Type.Array(Exception)),
    frameworks: Type.Optional(Frameworks),
    runbook: Type.Optional(Nullable(Type.String())),
    tags: Type.Optional(Nullable(Type.Array(Type.String()))),
    tests: Type.Optional(Type.Array(Test)),
    threshold: Type.Optional(Threshold),
    sequence: Type.Optional(Sequence),
    absence: Type.Optional(Absence),
  },
  { additionalProperties: false },
)

/** One rule as read from YAML, once it matches RuleSchema. */
export type RuleDocument = Static<typeof RuleSchema>
export type RuleTestExpectation = Static<typeof Expectation>
