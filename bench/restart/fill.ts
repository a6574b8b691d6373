/**
 * bench:restart's store: populations of tasks written by ClickHouse itself (`INSERT … SELECT` over
 * `numbers()`), so ten million events take a minute rather than an hour of client-side encoding.
 * Each task is a realistic agent run: task_start, a prompt with a system and a user line, a
 * credential issued to it and used, three tool calls with JSON arguments and results that carry
 * e-mail addresses, URLs and ids (the values provenance remembers), an authz decision; finished
 * tasks also revoke their credential and end. Ids have the lengths real ones have (32-hex trace
 * ids as task ids, 36-character credential ids, event ids built like core/event.ts `eventId`).
 */
import type { ClickHouseClient } from '@clickhouse/client'

export interface Population {
  /** Distinguishes the populations' ids. */
  name: string
  tasks: number
  tenants: number
  /** Task start times are spread over [now - newestAgoS - spreadS, now - newestAgoS]. */
  newestAgoS: number
  spreadS: number
  /** Finished tasks revoke their credential and end; others stay open. */
  finished: boolean
}

/** Events per task of a population: 8 for an open task, 10 for a finished one. */
export const eventsPerTask = (finished: boolean): number => (finished ? 10 : 8)

/** Seconds between a task's consecutive events. */
const STEP_S = 2

const KINDS = ['task_start', 'prompt', 'credential_issued', 'tool_invocation', 'tool_invocation', 'credential_used', 'authz_decision', 'tool_invocation', 'credential_revoked', 'task_end']

function populationSelect(db: string, p: Population, from: number, count: number): string {
  const sq = (s: string) => `'${s.replace(/'/g, "''")}'`
  const kinds = `[${KINDS.map(sq).join(', ')}]`
  // per task n and event i; h is a per-task hash that picks values deterministically
  return `
    INSERT INTO ${db}.events (event_id, kind, ts, seq, observed_at, tenant_id, domain, task_id, trace_id, span_id, agent_id, agent_name,
      workload_id, user_id, source, name, tool_name, tool_call_id, tool_arguments, tool_result, target_resource, target_tenant,
      credential_id, credential_type, credential_issuer, credential_subject, credential_scopes, credential_expires_at, credential_task_id,
      authz_result, authz_policy, authz_engine, authz_action, authz_resource, content, status)
    SELECT
      concat(trace, '.', span, '.0.000.', kind) AS event_id,
      kind,
      t0 + toIntervalSecond(${STEP_S} * i) AS ts,
      0 AS seq,
      toDateTime64(ts, 3, 'UTC') + toIntervalMillisecond(5) AS observed_at,
      tenant AS tenant_id,
      tenant AS domain,
      trace AS task_id,
      trace AS trace_id,
      span AS span_id,
      agent AS agent_id,
      agent AS agent_name,
      concat('spiffe://', tenant, '.example/ns/agents/sa/', agent) AS workload_id,
      concat('user-', toString(h % 5000)) AS user_id,
      'privpath' AS source,
      kind AS name,
      tool AS tool_name,
      if(kind = 'tool_invocation', concat('call_', substring(lower(hex(MD5(span))), 1, 24)), '') AS tool_call_id,
      multiIf(
        tool = 'web.fetch', concat('{"url":"https://news.example.com/articles/', toString(h % 100000), '","max_bytes":65536}'),
        tool = 'db.query', concat('{"sql":"SELECT id, email, total FROM orders WHERE customer_id = ', toString(h % 1000000), ' LIMIT 20","database":"orders"}'),
        tool = 'email.send', concat('{"to":"traveller', toString(h % 100000), '@example.com","subject":"Your booking at the Grand Hotel Central","body":"Confirmation ', toString(h), '"}'),
        '') AS tool_arguments,
      multiIf(
        tool = 'web.fetch', concat('{"status":200,"title":"City guide","text":"The Grand Hotel Central offers rooms from 120 EUR. Contact reservations@grand-hotel-central.example.com or call +41 44 555 ', toString(1000 + h % 9000), '. Reviews at https://reviews.example.org/hotels/', toString(h % 50000), ' mention the rooftop bar and the quiet rooms facing the park. Booking reference format BK-', toString(h % 1000000), '."}'),
        tool = 'db.query', concat('{"rows":[{"id":', toString(h % 1000000), ',"email":"customer', toString(h % 100000), '@shop.example.com","total":"', toString(h % 900 + 100), '.50"},{"id":', toString(h % 1000000 + 1), ',"email":"buyer', toString(h % 70000), '@mail.example.net","total":"89.90"}],"elapsed_ms":12}'),
        tool = 'email.send', concat('{"message_id":"msg-', lower(hex(cityHash64(span))), '","accepted":true}'),
        '') AS tool_result,
      multiIf(tool = 'db.query', 'db://orders/customers', tool = 'email.send', 'smtp://mail.example.com', tool = 'web.fetch', 'https://news.example.com', '') AS target_resource,
      if(kind = 'tool_invocation', tenant, '') AS target_tenant,
      if(kind IN ('credential_issued', 'credential_used', 'credential_revoked'), credential, '') AS credential_id,
      if(kind = 'credential_issued', 'oauth_token', '') AS credential_type,
      if(kind = 'credential_issued', 'https://idp.example.com', '') AS credential_issuer,
      if(kind = 'credential_issued', agent, '') AS credential_subject,
      if(kind = 'credential_issued', ['orders:read', 'email:send', 'web:fetch'], []) AS credential_scopes,
      if(kind = 'credential_issued', toDateTime64(t0 + toIntervalHour(1), 3, 'UTC'), NULL) AS credential_expires_at,
      if(kind = 'credential_issued', trace, '') AS credential_task_id,
      if(kind = 'authz_decision', if(h % 10 = 0, 'deny', 'allow'), '') AS authz_result,
      if(kind = 'authz_decision', 'orders-read-policy', '') AS authz_policy,
      if(kind = 'authz_decision', 'opa', '') AS authz_engine,
      if(kind = 'authz_decision', 'db.query', '') AS authz_action,
      if(kind = 'authz_decision', 'orders/customers', '') AS authz_resource,
      if(kind = 'prompt', concat('system: You are a travel assistant for ', tenant, '. Use the tools to find hotels and book them; never send data to addresses the user did not give.\\nuser: Please book two nights at the Grand Hotel Central from the 14th, order ', toString(h % 1000000), ', and send the confirmation to traveller', toString(h % 100000), '@example.com. My loyalty number is LN-', toString(h % 10000000), '.'), '') AS content,
      'ok' AS status
    FROM (
      SELECT
        number AS n,
        cityHash64(${sq(p.name)}, number) AS h,
        arrayJoin(range(${eventsPerTask(p.finished)})) AS i,
        ${kinds}[i + 1] AS kind,
        lower(hex(MD5(concat(${sq(p.name)}, toString(number))))) AS trace,
        substring(lower(hex(MD5(concat(trace, toString(i))))), 1, 16) AS span,
        concat('tenant-', toString(number % ${p.tenants})) AS tenant,
        concat('agent-', toString(h % 20)) AS agent,
        toString(reinterpretAsUUID(MD5(concat('cred', trace)))) AS credential,
        multiIf(i = 3, 'web.fetch', i = 4, 'db.query', i = 7, 'email.send', '') AS tool,
        now64(6, 'UTC') - toIntervalSecond(${p.newestAgoS}) - toIntervalMillisecond(h % ${Math.max(1, p.spreadS * 1000)}) AS t0
      FROM numbers(${from}, ${count})
    )`
}

/** Inserts the population in slices of `slice` tasks (one statement each keeps ClickHouse's memory bounded). */
export async function insertPopulation(client: ClickHouseClient, db: string, p: Population, slice = 200_000): Promise<void> {
  for (let from = 0; from < p.tasks; from += slice) {
    await client.command({ query: populationSelect(db, p, from, Math.min(slice, p.tasks - from)) })
  }
}
