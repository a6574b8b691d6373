/**
 * The compact rows of the start-up restore: only the event fields that task state, the credential
 * registry and the agents' decisions read (state/task.ts, state/registry.ts, state/agents.ts),
 * in RowBinary (history-binary.ts), and every other field empty. A field that state comes to read must
 * be added here: history.test.ts checks that state restored from these rows equals state
 * restored from whole events.
 *
 * State keeps the same ids and names many times over (a task id in the task store, its deadline,
 * the registry entry of each of its credentials; an agent, workload or resource in every list
 * entry), and every row parsed brings its own copy: `StateDecoder` hands out one instance per
 * value, from a small table for names and from the previous row for ids (a task's rows come
 * together).
 */
import type { EventKind, PrivpathEvent } from '../core/event.js'
import type { RowBinaryReader } from './history-binary.js'

/** Columns in the order `StateDecoder.event` reads them: name, select expression, RowBinary type. */
const STATE_COLUMNS: ReadonlyArray<readonly [string, string, string]> = [
  // the event id only where state keeps it (tool calls)
  ['event_id', "if(kind = 'tool_invocation', event_id, '')", 'String'],
  ['kind', 'CAST(kind AS String)', 'String'],
  ['ts_us', 'toUnixTimestamp64Micro(ts)', 'Int64'],
  ['tenant_id', 'CAST(tenant_id AS String)', 'String'],
  ['domain', 'CAST(domain AS String)', 'String'],
  ['task_id', 'task_id', 'String'],
  ['agent_id', 'CAST(agent_id AS String)', 'String'],
  ['workload_id', 'CAST(workload_id AS String)', 'String'],
  ['tool_name', 'CAST(tool_name AS String)', 'String'],
  ['tool_call_id', 'tool_call_id', 'String'],
  ['target_resource', 'target_resource', 'String'],
  ['target_tenant', 'CAST(target_tenant AS String)', 'String'],
  ['credential_id', 'credential_id', 'String'],
  ['credential_type', 'CAST(credential_type AS String)', 'String'],
  ['credential_issuer', 'CAST(credential_issuer AS String)', 'String'],
  ['credential_subject', 'credential_subject', 'String'],
  ['credential_scopes', 'credential_scopes', 'Array(String)'],
  ['credential_expires_at_ms', 'toUnixTimestamp64Milli(credential_expires_at)', 'Nullable(Int64)'],
  ['credential_task_id', 'credential_task_id', 'String'],
  ['authz_result', 'CAST(authz_result AS String)', 'String'],
  ['authz_policy', 'authz_policy', 'String'],
  ['authz_action', 'CAST(authz_action AS String)', 'String'],
  ['authz_resource', 'authz_resource', 'String'],
  ['delegate_agent_id', 'delegate_agent_id', 'String'],
  ['delegated_scopes', 'delegated_scopes', 'Array(String)'],
  ['approval_result', 'CAST(approval_result AS String)', 'String'],
  ['approval_approver', 'approval_approver', 'String'],
  ['approval_action', 'approval_action', 'String'],
  // who decided (task.authz entries; privpath's own denies are not standing ones) and whether the
  // agent's decisions come as late decision logs (source opa; state/agents.ts)
  ['authz_engine', 'CAST(authz_engine AS String)', 'String'],
  ['source', 'CAST(source AS String)', 'String'],
]

/**
 * Select list of the state columns (RowBinary: the names and types the reader checks). Named
 * apart from the table's columns: an alias named like a column would stand for it in WHERE,
 * ORDER BY and LIMIT BY too.
 */
export const STATE_SELECT = STATE_COLUMNS.map(([name, expr]) => `${expr} AS state_${name}`).join(', ')

/** Throws unless a page's header is the state columns and then `extra` (name, type), in order. */
export function checkStateHeader(header: { names: string[]; types: string[] }, extra: readonly [string, string]): void {
  const expected = [...STATE_COLUMNS.map(([name, , type]) => `state_${name} ${type}`), extra.join(' ')]
  const got = header.names.map((name, i) => `${name} ${header.types[i]}`)
  if (got.join(', ') !== expected.join(', ')) throw new Error(`detector history: unexpected columns (${got.join(', ')}), expected (${expected.join(', ')})`)
}

/** Names shared at most: past it, new names keep their own copy (a resource column of unique URLs must not grow the table without end). */
const MAX_NAMES = 100_000

const NO_NAMES: string[] = []

export class StateDecoder {
  private readonly names = new Map<string, string>()
  private readonly lists = new Map<string, string[]>()
  /** The previous row's ids, as handed out. */
  private task = ''
  private credential = ''
  private boundTask = ''

  /** One instance per distinct name (agents, workloads, tools, resources, policies, scopes). */
  private name(value: string): string {
    if (value === '') return ''
    const known = this.names.get(value)
    if (known !== undefined) return known
    if (this.names.size < MAX_NAMES) this.names.set(value, value)
    return value
  }

  /** One array per distinct list (credentials of one kind carry the same scopes); state never changes these arrays. */
  private nameList(values: string[]): string[] {
    if (values.length === 0) return NO_NAMES
    const key = values.length === 1 ? values[0] : values.join('\u0000')
    const known = this.lists.get(key)
    if (known !== undefined) return known
    for (let i = 0; i < values.length; i++) values[i] = this.name(values[i])
    if (this.lists.size < MAX_NAMES) this.lists.set(key, values)
    return values
  }

  /** The event of a row of STATE_COLUMNS, read in order. Spelled out in full: one object shape for every row. */
  event(r: RowBinaryReader): PrivpathEvent {
    const eventId = r.string()
    const kind = r.string() as EventKind
    const ts = r.int64() / 1000
    const tenant = this.name(r.string())
    const domain = this.name(r.string())
    const task = r.string()
    if (task !== this.task) this.task = task
    const agent = this.name(r.string())
    const workload = this.name(r.string())
    const tool = this.name(r.string())
    const call = r.string()
    const resource = this.name(r.string())
    const targetTenant = this.name(r.string())
    const credential = r.string()
    if (credential !== this.credential) this.credential = credential
    const credentialType = this.name(r.string())
    const issuer = this.name(r.string())
    const subject = this.name(r.string())
    const scopes = this.nameList(r.strings())
    const expires = r.nullableInt64()
    const bound = r.string()
    if (bound !== this.boundTask) this.boundTask = bound === this.task ? this.task : bound
    const authzResult = this.name(r.string()) as PrivpathEvent['authz_result']
    const policy = this.name(r.string())
    const action = this.name(r.string())
    const authzResource = this.name(r.string())
    const delegate = this.name(r.string())
    const delegated = this.nameList(r.strings())
    const approvalResult = this.name(r.string()) as PrivpathEvent['approval_result']
    const approver = this.name(r.string())
    const approvalAction = this.name(r.string())
    const engine = this.name(r.string())
    const source = this.name(r.string()) as PrivpathEvent['source']
    return {
      event_id: eventId,
      kind,
      ts,
      seq: 0,
      observed_at: 0,
      tenant_id: tenant,
      domain,
      task_id: this.task,
      trace_id: '',
      span_id: '',
      parent_span_id: '',
      agent_id: agent,
      agent_name: '',
      workload_id: workload,
      user_id: '',
      source,
      name: '',
      tool_name: tool,
      tool_call_id: call,
      tool_arguments: '',
      tool_result: '',
      requested_calls: [],
      target_resource: resource,
      target_tenant: targetTenant,
      credential_id: this.credential,
      credential_type: credentialType,
      credential_issuer: issuer,
      credential_subject: subject,
      credential_scopes: scopes,
      credential_expires_at: expires,
      credential_task_id: this.boundTask,
      authz_result: authzResult,
      authz_policy: policy,
      authz_engine: engine,
      authz_action: action,
      authz_resource: authzResource,
      delegate_agent_id: delegate,
      delegate_agent_name: '',
      delegated_scopes: delegated,
      approval_result: approvalResult,
      approval_approver: approver,
      approval_action: approvalAction,
      content: '',
      status: 'unset',
      error: '',
      flags: [],
      attributes: {},
    }
  }
}
