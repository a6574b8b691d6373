/**
 * The query API's contract as TypeBox schemas: the query strings it accepts and the answers it
 * gives. The queries' result types derive from these, fastify validates and serialises with them
 * (fast-json-stringify writes only the properties a response schema declares), and /openapi.json
 * publishes them.
 */
import Type, { type Static } from 'typebox'
import { ALERT_CATEGORIES, AlertSchema, SEVERITIES } from '../core/alert.js'
import { EventSchema } from '../core/event.js'
import { MAX_LIMIT } from './queries/scope.js'

const Str = Type.String()
const StrList = Type.Array(Type.String())
const Time = Type.Number({ description: 'Epoch milliseconds (fractions carry microseconds)' })
const NullableTime = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })

// ---- query strings and path parameters

const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 100, description: 'Most items returned' }))
const Tenant = Type.Optional(
  Type.String({ minLength: 1, maxLength: 256, description: "One tenant, within the key's scope: a tenant key asking for another tenant gets nothing" }),
)
const QueryTime = (description: string) =>
  Type.Optional(Type.String({ maxLength: 40, description: `${description}: RFC 3339 with a zone (2026-01-31T12:00:00Z) or epoch milliseconds` }))

export const TaskListQuery = Type.Object(
  {
    tenant: Tenant,
    since: QueryTime('Tasks active at or after this time'),
    until: QueryTime('Tasks started at or before this time'),
    limit: Limit,
    has_alerts: Type.Optional(Type.Boolean({ description: 'true: only tasks with alerts; false: only tasks without' })),
  },
  { additionalProperties: false },
)

export const AlertListQuery = Type.Object(
  {
    tenant: Tenant,
    since: QueryTime('Alerts active (last seen) at or after this time'),
    until: QueryTime('Alerts first seen at or before this time'),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Rule id' })),
    task: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Task id' })),
    severity: Type.Optional(Type.Enum(SEVERITIES, { description: 'Exactly this severity' })),
    category: Type.Optional(Type.Enum(ALERT_CATEGORIES, { description: 'Only incidents or only posture findings (default: both)' })),
    limit: Limit,
  },
  { additionalProperties: false },
)

export const TaskQuery = Type.Object(
  { tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Which tenant’s task, when an admin key reads a task id several tenants use' })) },
  { additionalProperties: false },
)

export const idParams = (description: string) => Type.Object({ id: Type.String({ minLength: 1, maxLength: 512, description }) })

// ---- answers

const TaskSummarySchema = Type.Object({
  tenant_id: Str,
  task_id: Str,
  started_at: Time,
  ended_at: NullableTime('Time of the task_end event; null while the task has not ended'),
  last_seen: Time,
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'Distinct events per kind' }),
  event_count: Type.Integer(),
  agents: StrList,
  agent_names: StrList,
  tools: StrList,
  target_tenants: Type.Array(Type.String(), { description: "Tenants the task's tool calls targeted" }),
  credential_ids: StrList,
  has_error: Type.Boolean(),
  alert_count: Type.Integer(),
})
export type TaskSummary = Static<typeof TaskSummarySchema>

export const TaskDetailSchema = Type.Object(
  {
    task: TaskSummarySchema,
    events: Type.Array(EventSchema, { description: 'Ordered by ts then seq, one per event_id' }),
    truncated: Type.Boolean({ description: 'True when the task has more events than the limit returned' }),
  },
  { description: 'The task and its events' },
)
export type TaskDetail = Static<typeof TaskDetailSchema>

const CredentialUseSchema = Type.Object({
  tenant_id: Str,
  task_id: Str,
  uses: Type.Integer(),
  first_used_at: Time,
  last_used_at: Time,
})

const NullableEvent = (description: string) => Type.Union([EventSchema, Type.Null()], { description })

export const CredentialLifecycleSchema = Type.Object(
  {
    credential_id: Str,
    tenant_id: Type.String({ description: "Tenant whose task issued it; '' when no issuance was observed in scope" }),
    tenants: Type.Array(Type.String(), { description: 'Every tenant (in scope) whose tasks issued, used or revoked it' }),
    issuing_task_id: Str,
    credential_type: Str,
    credential_issuer: Str,
    credential_subject: Str,
    credential_scopes: StrList,
    issued_at: NullableTime('Issuance time; null when not observed'),
    expires_at: NullableTime('Expiry the issuance declared; null when none'),
    revoked_at: NullableTime('Revocation time; null while not revoked'),
    issued: NullableEvent('The credential_issued event'),
    revoked: NullableEvent('The credential_revoked event'),
    used_task_count: Type.Integer(),
    use_count: Type.Integer(),
    first_used_at: NullableTime('First use; null when never used'),
    last_used_at: NullableTime('Last use; null when never used'),
    used_in: Type.Array(CredentialUseSchema, { description: 'Tasks that used it, first use first' }),
  },
  { description: "The credential's lifecycle in the caller's scope" },
)
export type CredentialLifecycle = Static<typeof CredentialLifecycleSchema>

const RuleHitsSchema = Type.Object({
  alerts: Type.Integer(),
  tasks: Type.Integer(),
  last_seen: NullableTime('Last activity of its newest alert; null without alerts'),
})
export type RuleHits = Static<typeof RuleHitsSchema>

const RuleStatusRowSchema = Type.Object({
  rule_id: Str,
  title: Str,
  description: Str,
  severity: Str,
  status: Str,
  frameworks: Type.Array(Type.String(), { description: '`scheme:id`, as on alerts' }),
  tags: StrList,
  file: Str,
  loaded_at: Time,
  hits: RuleHitsSchema,
})
export type RuleStatusRow = Static<typeof RuleStatusRowSchema>

export const TaskListSchema = Type.Object({ tasks: Type.Array(TaskSummarySchema) }, { description: 'Tasks, newest first (by start)' })
export const AlertListSchema = Type.Object({ alerts: Type.Array(AlertSchema) }, { description: 'Alerts, newest activity first, each at its latest version' })
export const RuleListSchema = Type.Object(
  { rules: Type.Array(RuleStatusRowSchema) },
  { description: 'The rules of the newest load recorded in the store, by id, with their hits in scope' },
)
