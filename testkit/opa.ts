/**
 * OPA decision-log uploads as OPA's decision log plugin sends them: a gzip JSON array of decision
 * events with every field OPA 1.x fills (labels, bundles, metrics, the non-deterministic builtin
 * cache, req_id, requested_by), for collector and end-to-end tests.
 */
import { gzipSync } from 'node:zlib'

export type OpaDecisionEvent = Record<string, unknown>

/** RFC 3339 with nanoseconds, as OPA writes its timestamps, of a whole millisecond. */
export function opaTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000000Z`
}

/** A decision of the policy `agents/tools/allow` denying `db.drop_table`, with `overrides` applied (undefined removes a field). */
export function opaDecision(overrides: OpaDecisionEvent = {}): OpaDecisionEvent {
  const decision: OpaDecisionEvent = {
    labels: { id: '5c7f2f3e-3e46-4ff1-9d45-1a0d3f1d0c2b', version: '1.4.2', env: 'prod' },
    decision_id: '0a7e1c1b-6f1e-4d1a-9a55-7e1a3e6d2b41',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    bundles: { authz: { revision: '7c2d1e' } },
    path: 'agents/tools/allow',
    input: { action: 'db.drop_table', resource: { id: 'orders', tenant: 'acme' }, principal: { id: 'planner' } },
    result: false,
    requested_by: '10.0.3.7:51812',
    timestamp: '2026-12-07T10:04:05.123456789Z',
    metrics: { counter_server_query_cache_hit: 0, timer_rego_input_parse_ns: 24001, timer_rego_query_eval_ns: 93514, timer_server_handler_ns: 250317 },
    req_id: 7,
    nd_builtin_cache: { 'http.send': { '[{"method":"get","url":"https://idp"}]': { status_code: 200, body: { token: 'secret' } } } },
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete decision[key]
    else decision[key] = value
  }
  return decision
}

/** The body OPA posts: the events as a JSON array, gzipped. */
export function opaUpload(decisions: OpaDecisionEvent[]): Buffer {
  return gzipSync(JSON.stringify(decisions))
}

/** The headers OPA sends with an upload (the bearer token when given). */
export function opaHeaders(token?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  }
}
