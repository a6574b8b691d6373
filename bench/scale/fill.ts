/**
 * Fills a store with a synthetic history through ClickHouse's own `INSERT … SELECT FROM numbers()`,
 * so ten million events take seconds rather than the hours the real ingest path would, and every
 * materialized view sees the rows as it would see the writer's inserts. The same statements run
 * on chDB and on a ClickHouse server.
 *
 * Shape: `tasks` tasks of `events / tasks` events each, starting evenly over `days` days up to
 * `end`, spread over `tenants` tenants. One task in 100 runs 1 to 48 hours (it spans days, and
 * its events after its first hour arrive in a later insert, as a long task's would); the rest run
 * 10 s to 5 min. A task still running at `end` has only the events up to then, so the store holds
 * slightly fewer than `events` rows. One task in 20 never ends (no task_end). One task in 40 gets
 * an alert.
 */
import { quoteIdentifier } from '../../core/store/ddl.js'

export interface ScaleShape {
  events: number
  tasks: number
  days: number
  tenants: number
  /** Newest instant of the history (epoch ms); no event is later. */
  end: number
}

/** Event kinds between task_start and task_end, cycled: a task of 10 events gets the first 8. */
const MIDDLE_KINDS = ['prompt', 'reasoning_step', 'tool_invocation', 'credential_issued', 'credential_used', 'tool_invocation', 'authz_decision', 'tool_invocation', 'delegation', 'approval']
const TOOLS = ['read_file', 'query_db', 'send_email', 'create_ticket', 'fetch_url', 'deploy_service', 'list_buckets']
const RULES = [
  ['cross-tenant-tool-routing', 'critical'],
  ['credential-reused-beyond-task', 'high'],
  ['credential-used-after-task-end', 'high'],
  ['prompt-injection-to-privileged-tool', 'medium'],
  ['privileged-tool-without-policy', 'low'],
] as const
const LONG_TASK_US = 3_600_000_000

const list = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`

/** Per-task columns every statement derives from `t`, the task's number. */
function taskColumns(shape: ScaleShape): string {
  const spanUs = shape.days * 86_400_000_000
  const endUs = shape.end * 1000
  return `
    concat(lower(hex(cityHash64(t, 'task'))), lower(hex(cityHash64(t, 'trace')))) AS task_id,
    concat('tenant-', toString(t % ${shape.tenants})) AS tenant_id,
    toInt64(${endUs - spanUs} + t / ${shape.tasks} * ${spanUs}) AS start_us,
    cityHash64(t, 'long') % 100 = 0 AS long_task,
    if(long_task, ${LONG_TASK_US} + cityHash64(t, 'duration') % (47 * ${LONG_TASK_US}), (10 + cityHash64(t, 'duration') % 290) * 1000000) AS duration_us,
    cityHash64(t, 'open') % 20 = 0 AS open_task`
}

/** The events with `condition` on `offset_us` (µs after the task's start). */
function eventsInsert(db: string, shape: ScaleShape, condition: string): string {
  const perTask = Math.max(2, Math.round(shape.events / shape.tasks))
  const total = perTask * shape.tasks
  return `
INSERT INTO ${db}.events (event_id, kind, ts, seq, observed_at, tenant_id, task_id, trace_id, span_id, parent_span_id, agent_id, agent_name, workload_id, source, name, tool_name, tool_call_id, tool_arguments, target_resource, target_tenant, credential_id, credential_type, credential_issuer, credential_scopes, authz_result, authz_engine, content, status)
SELECT
  lower(hex(cityHash64(t, k, 'event'))) AS event_id,
  kind,
  fromUnixTimestamp64Micro(start_us + offset_us) AS ts,
  0 AS seq,
  fromUnixTimestamp64Milli(intDiv(start_us + offset_us, 1000) + 40) AS observed_at,
  tenant_id,
  task_id,
  task_id AS trace_id,
  lower(hex(cityHash64(t, k, 'span'))) AS span_id,
  if(k = 0, '', lower(hex(cityHash64(t, 0, 'span')))) AS parent_span_id,
  concat('agent-', toString(cityHash64(t, 'agent') % 40)) AS agent_id,
  concat('Agent ', toString(cityHash64(t, 'agent') % 40)) AS agent_name,
  concat('workload-', toString(cityHash64(t, 'agent') % 10)) AS workload_id,
  'gen_ai' AS source,
  concat(kind, ' ', tool) AS name,
  if(kind IN ('tool_invocation', 'credential_used'), tool, '') AS tool_name,
  if(kind = 'tool_invocation', lower(hex(cityHash64(t, k, 'call'))), '') AS tool_call_id,
  if(kind = 'tool_invocation', concat('{"path":"/data/', toString(cityHash64(t, k) % 10000), '.json","limit":', toString(k * 10), '}'), '') AS tool_arguments,
  if(kind = 'tool_invocation', concat('db://records/', toString(cityHash64(t, k) % 1000)), '') AS target_resource,
  if(kind = 'tool_invocation' AND cityHash64(t, k, 'cross') % 100 = 0, concat('tenant-', toString((t + 1) % ${shape.tenants})), '') AS target_tenant,
  if(kind IN ('credential_issued', 'credential_used'), concat('cred-', toString(t)), '') AS credential_id,
  if(kind = 'credential_issued', 'oauth2', '') AS credential_type,
  if(kind = 'credential_issued', 'idp', '') AS credential_issuer,
  if(kind = 'credential_issued', ['crm:read', 'crm:write'], []) AS credential_scopes,
  if(kind = 'authz_decision', if(cityHash64(t, 'deny') % 10 = 0, 'deny', 'allow'), '') AS authz_result,
  if(kind = 'authz_decision', 'opa', '') AS authz_engine,
  if(kind IN ('prompt', 'reasoning_step'), concat('Summarise the ', ['quarterly', 'weekly', 'incident', 'billing'][1 + cityHash64(t, k) % 4], ' report for customer ', toString(cityHash64(t, 'customer') % 100000), ' and list the open tickets with their owners.'), '') AS content,
  if(kind = 'tool_invocation' AND cityHash64(t, k, 'error') % 50 = 0, 'error', 'ok') AS status
FROM (
  SELECT
    intDiv(number, ${perTask}) AS t,
    number % ${perTask} AS k,
    ${taskColumns(shape)},
    toInt64(duration_us * k / ${perTask - 1}) AS offset_us,
    multiIf(k = 0, 'task_start', k = ${perTask - 1} AND NOT open_task, 'task_end', ${list(MIDDLE_KINDS)}[1 + (k - 1) % ${MIDDLE_KINDS.length}]) AS kind,
    ${list(TOOLS)}[1 + cityHash64(t, k, 'tool') % ${TOOLS.length}] AS tool
  FROM numbers(${total})
)
WHERE ${condition} AND start_us + offset_us <= ${shape.end * 1000}`
}

function alertsInsert(db: string, shape: ScaleShape): string {
  return `
INSERT INTO ${db}.alerts (alert_id, rule_id, rule_title, severity, category, tenant_id, task_id, agent_id, summary, path, dedup_key, event_ids, frameworks, tags, runbook, count, first_seen, last_seen, window_start, updated_at)
SELECT
  lower(hex(cityHash64(t, 'alert'))) AS alert_id,
  rule.1 AS rule_id,
  concat('Rule ', rule.1) AS rule_title,
  rule.2 AS severity,
  if(rule.1 = 'privileged-tool-without-policy', 'posture', 'incident') AS category,
  tenant_id,
  task_id,
  concat('agent-', toString(cityHash64(t, 'agent') % 40)) AS agent_id,
  'synthetic alert' AS summary,
  'prompt → tool' AS path,
  task_id AS dedup_key,
  [lower(hex(cityHash64(t, 3, 'event')))] AS event_ids,
  ['owasp_agentic:ASI03'] AS frameworks,
  [] AS tags,
  '' AS runbook,
  1 AS count,
  fromUnixTimestamp64Micro(least(start_us + intDiv(duration_us, 3), ${shape.end * 1000})) AS first_seen,
  fromUnixTimestamp64Micro(least(start_us + intDiv(duration_us, 2), ${shape.end * 1000})) AS last_seen,
  toStartOfHour(first_seen) AS window_start,
  last_seen AS updated_at
FROM (
  SELECT number AS t, ${taskColumns(shape)},
    [${RULES.map(([id, severity]) => `('${id}', '${severity}')`).join(', ')}][1 + cityHash64(t, 'rule') % ${RULES.length}] AS rule
  FROM numbers(${shape.tasks})
  WHERE cityHash64(t, 'alert') % 40 = 0
)`
}

/**
 * The statements that fill `database` (already migrated): most events, then long tasks' events
 * after their first hour (a later insert, so they reach the summaries as partial rows of their
 * own), then the alerts.
 */
export function fillStatements(database: string, shape: ScaleShape): string[] {
  const db = quoteIdentifier(database)
  return [
    eventsInsert(db, shape, `offset_us <= ${LONG_TASK_US}`),
    eventsInsert(db, shape, `offset_us > ${LONG_TASK_US}`),
    alertsInsert(db, shape),
  ]
}
