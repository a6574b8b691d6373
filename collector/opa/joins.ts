/**
 * Where an OPA decision joins its agent's telemetry, looked up in the store when the upload
 * arrives: OPA reports minutes after deciding, when the collector's span placements may no longer
 * know the trace (a restart, another collector, the least recently used evicted), but the store
 * has it. In order: the tool call whose span the decision names, or whose descendant it names
 * (OPA's own span is a child of its caller's when OPA exports its spans too); else the task of
 * the span it names; else the task of its trace. The store is only read (through core/store);
 * the collector and the detector still never meet.
 */
import type { ClickHouseClient } from '../../core/store/index.js'
import { quoteIdentifier } from '../../core/store/index.js'

/** How a decision was placed, and the tool call it gates when one was found. */
export interface DecisionJoin {
  via: 'tool_call' | 'span' | 'trace'
  task_id: string
  tenant_id: string
  agent_id: string
  agent_name: string
  /** The tool call's span, name, time (epoch ms) and target; '' and 0 unless `via` is tool_call. */
  tool_span_id: string
  tool_name: string
  tool_ts: number
  tool_target: string
}

/** What the store knows of one span of a trace (events written by OPA ingest itself left out). */
export interface SpanFacts {
  parent: string
  task: string
  tenant: string
  agent: string
  agentName: string
  /** The span is a tool call: its name, start and target. */
  tool: string
  toolTs: number
  toolCalls: number
  target: string
  firstTs: number
}

/** Span id → facts, per trace id. */
export type TraceFacts = Map<string, SpanFacts>

/** The spans the store holds for these traces of an isolation domain, dated from `since` (epoch ms). */
export type PlacementLookup = (domain: string, traceIds: readonly string[], since: number) => Promise<Map<string, TraceFacts>>

/** A nesting deeper than this between a decision and its tool call is not followed. */
const MAX_ANCESTORS = 64
/** Trace ids per query: the list is sent as a query parameter. */
const TRACES_PER_QUERY = 500
/** Spans read per query, so an upload naming huge traces costs bounded memory. */
const MAX_SPANS_PER_QUERY = 100_000
/** A store slower than this does not hold the upload up; its decisions are placed by the correlator. */
const QUERY_SECONDS = 5

const NO_TOOL = { tool_span_id: '', tool_name: '', tool_ts: 0, tool_target: '' }

function placed(facts: SpanFacts): Pick<DecisionJoin, 'task_id' | 'tenant_id' | 'agent_id' | 'agent_name'> {
  return { task_id: facts.task, tenant_id: facts.tenant, agent_id: facts.agent, agent_name: facts.agentName }
}

/** The join of a decision naming `spanId` in a trace the store knows; null when it knows nothing of the trace. */
export function joinOf(trace: TraceFacts | undefined, spanId: string): DecisionJoin | null {
  if (trace === undefined || trace.size === 0) return null
  const named = spanId === '' ? undefined : trace.get(spanId)
  if (named === undefined) {
    let first: SpanFacts | undefined
    for (const facts of trace.values()) if (first === undefined || facts.firstTs < first.firstTs) first = facts
    return { via: 'trace', ...placed(first!), agent_id: '', agent_name: '', ...NO_TOOL }
  }
  let id = spanId
  let at: SpanFacts | undefined = named
  // up the parents, within the named span's task: a tool call of the task that delegated to it is not this call
  for (let depth = 0; at !== undefined && at.task === named.task && depth <= MAX_ANCESTORS; depth++) {
    if (at.toolCalls > 0) return { via: 'tool_call', ...placed(at), tool_span_id: id, tool_name: at.tool, tool_ts: at.toolTs, tool_target: at.target }
    if (at.parent === '') break
    id = at.parent
    at = trace.get(id)
  }
  return { via: 'span', ...placed(named), ...NO_TOOL }
}

interface SpanRow {
  trace_id: string
  span_id: string
  parent: string
  task: string
  tenant: string
  agent: string
  agent_name: string
  tool: string
  target: string
  tool_calls: number
  tool_ts_us: number
  first_ts_us: number
}

function spansQuery(database: string): string {
  return `
SELECT trace_id, span_id,
  anyIf(parent_span_id, parent_span_id != '') AS parent,
  any(task_id) AS task, any(tenant_id) AS tenant,
  anyIf(agent_id, agent_id != '') AS agent, anyIf(agent_name, agent_name != '') AS agent_name,
  anyIf(tool_name, kind = 'tool_invocation') AS tool,
  anyIf(target_resource, kind = 'tool_invocation') AS target,
  countIf(kind = 'tool_invocation') AS tool_calls,
  toUnixTimestamp64Micro(minIf(ts, kind = 'tool_invocation')) AS tool_ts_us,
  toUnixTimestamp64Micro(min(ts)) AS first_ts_us
FROM ${quoteIdentifier(database)}.${quoteIdentifier('events')}
WHERE domain = {domain:String} AND has({traces:Array(String)}, trace_id) AND source != 'opa'
  AND ts >= fromUnixTimestamp64Milli({since:Int64})
GROUP BY trace_id, span_id
LIMIT {limit:UInt32}`
}

/** Looks spans up in the store's events table (ClickHouse or chDB). */
export function storePlacements(client: ClickHouseClient, database: string): PlacementLookup {
  const query = spansQuery(database)
  return async (domain, traceIds, since) => {
    const traces = new Map<string, TraceFacts>()
    for (let from = 0; from < traceIds.length; from += TRACES_PER_QUERY) {
      const result = await client.query({
        query,
        query_params: { domain, traces: traceIds.slice(from, from + TRACES_PER_QUERY), since: Math.floor(since), limit: MAX_SPANS_PER_QUERY },
        format: 'JSONEachRow',
        clickhouse_settings: { max_execution_time: QUERY_SECONDS },
      })
      for (const row of await result.json<SpanRow>()) {
        let trace = traces.get(row.trace_id)
        if (trace === undefined) traces.set(row.trace_id, (trace = new Map()))
        trace.set(row.span_id, {
          parent: row.parent,
          task: row.task,
          tenant: row.tenant,
          agent: row.agent,
          agentName: row.agent_name,
          tool: row.tool,
          toolTs: Number(row.tool_ts_us) / 1000,
          toolCalls: Number(row.tool_calls),
          target: row.target,
          firstTs: Number(row.first_ts_us) / 1000,
        })
      }
    }
    return traces
  }
}
