/**
 * The OpenID AuthZEN Authorization API 1.0 shapes privpath answers: the Access Evaluation request
 * and response (§6) and the batch Access Evaluations (§7), as TypeBox schemas (request validation,
 * the OpenAPI document) and the batch's defaults and semantics. What privpath reads of a request:
 * `subject` = the agent, `action.name` = the tool, `resource.properties` = the call (arguments,
 * target, credential), `context` = the task, its trace and the span the decision depends on.
 * Other properties are accepted (the spec's bags are open) and ignored.
 */
import Type, { type Static } from 'typebox'

/**
 * Generous bounds: a gateway replaying an agent's traffic must not meet a 400 for an id or a target
 * longer than ours would be; the bounds keep one request's strings from being unbounded.
 */
const OptionalId = Type.Optional(Type.String({ maxLength: 4_096 }))
const Bag = Type.Record(Type.String(), Type.Unknown())

const Subject = Type.Object(
  {
    type: Type.String({ maxLength: 128, description: '"agent" (other types are judged as agents too)' }),
    id: Type.String({ maxLength: 4_096, description: 'The agent id (gen_ai.agent.id); empty when the asker does not know it' }),
    properties: Type.Optional(
      Type.Object(
        {
          name: OptionalId,
          workload_id: OptionalId,
          /** With an admin key or without keys: the tenant the agent acts for. */
          tenant_id: OptionalId,
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
)

const Action = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 4_096, description: 'The tool name' }), properties: Type.Optional(Bag) },
  { additionalProperties: true },
)

const Resource = Type.Object(
  {
    type: Type.String({ maxLength: 128, description: '"tool"' }),
    id: Type.String({ maxLength: 4_096, description: 'The tool name (or what it reaches)' }),
    properties: Type.Optional(
      Type.Object(
        {
          /** The call's arguments: an object, or its JSON text. */
          arguments: Type.Optional(Type.Unknown()),
          target_resource: Type.Optional(Type.String({ maxLength: 65_536 })),
          target_tenant: OptionalId,
          credential_id: OptionalId,
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
)

const EvaluationContext = Type.Object(
  {
    task_id: OptionalId,
    trace_id: OptionalId,
    /** The last span the decision depends on (for a tool call: the chat span that proposed it). */
    after_span_id: OptionalId,
  },
  { additionalProperties: true },
)

export const EvaluationRequest = Type.Object(
  { subject: Subject, action: Action, resource: Resource, context: Type.Optional(EvaluationContext) },
  { additionalProperties: true },
)
export type EvaluationRequest = Static<typeof EvaluationRequest>

const EVALUATIONS_SEMANTICS = ['execute_all', 'deny_on_first_deny', 'permit_on_first_permit'] as const

const EvaluationItem = Type.Object(
  {
    subject: Type.Optional(Subject),
    action: Type.Optional(Action),
    resource: Type.Optional(Resource),
    context: Type.Optional(EvaluationContext),
  },
  { additionalProperties: true },
)

export const EvaluationsRequest = Type.Object(
  {
    subject: Type.Optional(Subject),
    action: Type.Optional(Action),
    resource: Type.Optional(Resource),
    context: Type.Optional(EvaluationContext),
    evaluations: Type.Optional(Type.Array(EvaluationItem)),
    options: Type.Optional(
      Type.Object({ evaluations_semantic: Type.Optional(Type.Enum(EVALUATIONS_SEMANTICS)) }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true },
)
export type EvaluationsRequest = Static<typeof EvaluationsRequest>

const RuleReason = Type.Object({
  id: Type.String(),
  title: Type.String(),
  severity: Type.String(),
  summary: Type.String(),
  enforce: Type.Enum(['deny', 'warn']),
  mode: Type.Enum(['enforce', 'shadow']),
})
const PolicyReason = Type.Object({ id: Type.String(), reason: Type.String(), mode: Type.Enum(['enforce', 'shadow']) })

const DecisionContext = Type.Object({
  id: Type.String({ description: 'The decision id, also on the authz_decision event recorded in the task' }),
  mode: Type.Enum(['enforce', 'shadow'], { description: 'shadow: the answer is allow whatever was decided' }),
  reason_admin: Type.Object({
    /** What the engine decided before the mode: deny when any rule or policy denied. */
    verdict: Type.Enum(['allow', 'deny']),
    rules: Type.Array(RuleReason),
    policies: Type.Array(PolicyReason),
    /** The span named by after_span_id was not processed within decision.wait_ms. */
    stale: Type.Boolean(),
  }),
  reason_user: Type.Record(Type.String(), Type.String(), { description: 'One sentence by language tag ("en")' }),
})

export const EvaluationResponse = Type.Object({ decision: Type.Boolean(), context: DecisionContext })
export type EvaluationResponse = Static<typeof EvaluationResponse>

/** A batch item the server could not evaluate (§7: decision false, the error in its context). */
const ItemError = Type.Object({
  decision: Type.Literal(false),
  context: Type.Object({ error: Type.Object({ status: Type.Integer(), message: Type.String() }) }),
})

export const EvaluationsResponse = Type.Object({ evaluations: Type.Array(Type.Union([EvaluationResponse, ItemError])) })

/** One batch item with the request's defaults applied: an item's subject, action, resource or context replaces the default whole (§7.1.1). */
export function withDefaults(request: EvaluationsRequest, item: Static<typeof EvaluationItem>): Partial<EvaluationRequest> {
  return {
    subject: item.subject ?? request.subject,
    action: item.action ?? request.action,
    resource: item.resource ?? request.resource,
    context: item.context ?? request.context,
  }
}

/** The first of subject, action, resource missing from a batch item after defaults, for its error. */
export function missingPart(request: Partial<EvaluationRequest>): string | undefined {
  if (request.subject === undefined) return 'subject'
  if (request.action === undefined) return 'action'
  if (request.resource === undefined) return 'resource'
  return undefined
}
