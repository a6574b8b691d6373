/**
 * Events as one Native block (native.ts) for the writer's inserts: the columns of EVENT_INSERT_COLUMNS
 * in that order, in the events table's types, LowCardinality(String) columns sent as String (which
 * ClickHouse converts, at about the cost of reading them as LowCardinality).
 */
import type { PrivpathEvent } from '../event.js'
import { ByteWriter } from './bytes.js'
import { COLUMN_BYTES, nativeBlock, NullableTicksColumn, plainColumn, StringArrayColumn, StringMapColumn, StringTupleArrayColumn, type NativeColumn } from './native.js'
import { toMicros, toMillis } from './rows.js'

export class EventBlock {
  private count = 0
  private readonly eventId = new ByteWriter(COLUMN_BYTES)
  private readonly kind = new ByteWriter(COLUMN_BYTES)
  private readonly ts = new ByteWriter(COLUMN_BYTES)
  private readonly seq = new ByteWriter(COLUMN_BYTES)
  private readonly observedAt = new ByteWriter(COLUMN_BYTES)
  private readonly tenantId = new ByteWriter(COLUMN_BYTES)
  private readonly domain = new ByteWriter(COLUMN_BYTES)
  private readonly taskId = new ByteWriter(COLUMN_BYTES)
  private readonly traceId = new ByteWriter(COLUMN_BYTES)
  private readonly spanId = new ByteWriter(COLUMN_BYTES)
  private readonly parentSpanId = new ByteWriter(COLUMN_BYTES)
  private readonly agentId = new ByteWriter(COLUMN_BYTES)
  private readonly agentName = new ByteWriter(COLUMN_BYTES)
  private readonly workloadId = new ByteWriter(COLUMN_BYTES)
  private readonly userId = new ByteWriter(COLUMN_BYTES)
  private readonly source = new ByteWriter(COLUMN_BYTES)
  private readonly name = new ByteWriter(COLUMN_BYTES)
  private readonly toolName = new ByteWriter(COLUMN_BYTES)
  private readonly toolCallId = new ByteWriter(COLUMN_BYTES)
  private readonly toolArguments = new ByteWriter(COLUMN_BYTES)
  private readonly toolResult = new ByteWriter(COLUMN_BYTES)
  private readonly requestedCalls = new StringTupleArrayColumn('requested_calls', ['call_id', 'name', 'arguments'] as const)
  private readonly targetResource = new ByteWriter(COLUMN_BYTES)
  private readonly targetTenant = new ByteWriter(COLUMN_BYTES)
  private readonly credentialId = new ByteWriter(COLUMN_BYTES)
  private readonly credentialType = new ByteWriter(COLUMN_BYTES)
  private readonly credentialIssuer = new ByteWriter(COLUMN_BYTES)
  private readonly credentialSubject = new ByteWriter(COLUMN_BYTES)
  private readonly credentialScopes = new StringArrayColumn('credential_scopes')
  private readonly credentialExpiresAt = new NullableTicksColumn('credential_expires_at', "DateTime64(3, 'UTC')")
  private readonly credentialTaskId = new ByteWriter(COLUMN_BYTES)
  private readonly authzResult = new ByteWriter(COLUMN_BYTES)
  private readonly authzPolicy = new ByteWriter(COLUMN_BYTES)
  private readonly authzEngine = new ByteWriter(COLUMN_BYTES)
  private readonly authzAction = new ByteWriter(COLUMN_BYTES)
  private readonly authzResource = new ByteWriter(COLUMN_BYTES)
  private readonly delegateAgentId = new ByteWriter(COLUMN_BYTES)
  private readonly delegateAgentName = new ByteWriter(COLUMN_BYTES)
  private readonly delegatedScopes = new StringArrayColumn('delegated_scopes')
  private readonly approvalResult = new ByteWriter(COLUMN_BYTES)
  private readonly approvalApprover = new ByteWriter(COLUMN_BYTES)
  private readonly approvalAction = new ByteWriter(COLUMN_BYTES)
  private readonly content = new ByteWriter(COLUMN_BYTES)
  private readonly status = new ByteWriter(COLUMN_BYTES)
  private readonly error = new ByteWriter(COLUMN_BYTES)
  private readonly flags = new StringArrayColumn('flags')
  private readonly attributes = new StringMapColumn('attributes')
  private readonly columns: NativeColumn[]
  /** Every column's writers, and where each stood before the row being added. */
  private readonly writers: ByteWriter[]
  private readonly marks: Int32Array
  /** The columns that count elements across rows, and their counts before the row being added. */
  private readonly lists: ReadonlyArray<{ total: number }>
  private readonly totals: Float64Array

  constructor() {
    this.columns = [
      plainColumn('event_id', 'String', this.eventId),
      plainColumn('kind', 'String', this.kind),
      plainColumn('ts', "DateTime64(6, 'UTC')", this.ts),
      plainColumn('seq', 'UInt32', this.seq),
      plainColumn('observed_at', "DateTime64(3, 'UTC')", this.observedAt),
      plainColumn('tenant_id', 'String', this.tenantId),
      plainColumn('domain', 'String', this.domain),
      plainColumn('task_id', 'String', this.taskId),
      plainColumn('trace_id', 'String', this.traceId),
      plainColumn('span_id', 'String', this.spanId),
      plainColumn('parent_span_id', 'String', this.parentSpanId),
      plainColumn('agent_id', 'String', this.agentId),
      plainColumn('agent_name', 'String', this.agentName),
      plainColumn('workload_id', 'String', this.workloadId),
      plainColumn('user_id', 'String', this.userId),
      plainColumn('source', 'String', this.source),
      plainColumn('name', 'String', this.name),
      plainColumn('tool_name', 'String', this.toolName),
      plainColumn('tool_call_id', 'String', this.toolCallId),
      plainColumn('tool_arguments', 'String', this.toolArguments),
      plainColumn('tool_result', 'String', this.toolResult),
      this.requestedCalls.column,
      plainColumn('target_resource', 'String', this.targetResource),
      plainColumn('target_tenant', 'String', this.targetTenant),
      plainColumn('credential_id', 'String', this.credentialId),
      plainColumn('credential_type', 'String', this.credentialType),
      plainColumn('credential_issuer', 'String', this.credentialIssuer),
      plainColumn('credential_subject', 'String', this.credentialSubject),
      this.credentialScopes.column,
      this.credentialExpiresAt.column,
      plainColumn('credential_task_id', 'String', this.credentialTaskId),
      plainColumn('authz_result', 'String', this.authzResult),
      plainColumn('authz_policy', 'String', this.authzPolicy),
      plainColumn('authz_engine', 'String', this.authzEngine),
      plainColumn('authz_action', 'String', this.authzAction),
      plainColumn('authz_resource', 'String', this.authzResource),
      plainColumn('delegate_agent_id', 'String', this.delegateAgentId),
      plainColumn('delegate_agent_name', 'String', this.delegateAgentName),
      this.delegatedScopes.column,
      plainColumn('approval_result', 'String', this.approvalResult),
      plainColumn('approval_approver', 'String', this.approvalApprover),
      plainColumn('approval_action', 'String', this.approvalAction),
      plainColumn('content', 'String', this.content),
      plainColumn('status', 'String', this.status),
      plainColumn('error', 'String', this.error),
      this.flags.column,
      this.attributes.column,
    ]
    this.writers = this.columns.flatMap((column) => column.writers)
    this.marks = new Int32Array(this.writers.length)
    this.lists = [this.requestedCalls, this.credentialScopes, this.delegatedScopes, this.flags, this.attributes]
    this.totals = new Float64Array(this.lists.length)
  }

  get rows(): number {
    return this.count
  }

  /** Column names in block order. */
  get names(): string[] {
    return this.columns.map((column) => column.name)
  }

  /** Adds `e` as the next row; when it throws (a RowEncodingError naming the field), nothing of `e` stays in the block. */
  add(e: PrivpathEvent): void {
    for (let i = 0; i < this.writers.length; i++) this.marks[i] = this.writers[i].length
    for (let i = 0; i < this.lists.length; i++) this.totals[i] = this.lists[i].total
    try {
      this.eventId.string(e.event_id, 'event_id')
      this.kind.string(e.kind, 'kind')
      this.ts.int64(toMicros(e.ts, 'ts'))
      this.seq.uint32(e.seq, 'seq')
      this.observedAt.int64(toMillis(e.observed_at, 'observed_at'))
      this.tenantId.string(e.tenant_id, 'tenant_id')
      this.domain.string(e.domain, 'domain')
      this.taskId.string(e.task_id, 'task_id')
      this.traceId.string(e.trace_id, 'trace_id')
      this.spanId.string(e.span_id, 'span_id')
      this.parentSpanId.string(e.parent_span_id, 'parent_span_id')
      this.agentId.string(e.agent_id, 'agent_id')
      this.agentName.string(e.agent_name, 'agent_name')
      this.workloadId.string(e.workload_id, 'workload_id')
      this.userId.string(e.user_id, 'user_id')
      this.source.string(e.source, 'source')
      this.name.string(e.name, 'name')
      this.toolName.string(e.tool_name, 'tool_name')
      this.toolCallId.string(e.tool_call_id, 'tool_call_id')
      this.toolArguments.string(e.tool_arguments, 'tool_arguments')
      this.toolResult.string(e.tool_result, 'tool_result')
      this.requestedCalls.add(e.requested_calls)
      this.targetResource.string(e.target_resource, 'target_resource')
      this.targetTenant.string(e.target_tenant, 'target_tenant')
      this.credentialId.string(e.credential_id, 'credential_id')
      this.credentialType.string(e.credential_type, 'credential_type')
      this.credentialIssuer.string(e.credential_issuer, 'credential_issuer')
      this.credentialSubject.string(e.credential_subject, 'credential_subject')
      this.credentialScopes.add(e.credential_scopes)
      this.credentialExpiresAt.add(e.credential_expires_at === null ? null : toMillis(e.credential_expires_at, 'credential_expires_at'))
      this.credentialTaskId.string(e.credential_task_id, 'credential_task_id')
      this.authzResult.string(e.authz_result, 'authz_result')
      this.authzPolicy.string(e.authz_policy, 'authz_policy')
      this.authzEngine.string(e.authz_engine, 'authz_engine')
      this.authzAction.string(e.authz_action, 'authz_action')
      this.authzResource.string(e.authz_resource, 'authz_resource')
      this.delegateAgentId.string(e.delegate_agent_id, 'delegate_agent_id')
      this.delegateAgentName.string(e.delegate_agent_name, 'delegate_agent_name')
      this.delegatedScopes.add(e.delegated_scopes)
      this.approvalResult.string(e.approval_result, 'approval_result')
      this.approvalApprover.string(e.approval_approver, 'approval_approver')
      this.approvalAction.string(e.approval_action, 'approval_action')
      this.content.string(e.content, 'content')
      this.status.string(e.status, 'status')
      this.error.string(e.error, 'error')
      this.flags.add(e.flags)
      this.attributes.add(e.attributes)
    } catch (error) {
      for (let i = 0; i < this.writers.length; i++) this.writers[i].truncate(this.marks[i])
      for (let i = 0; i < this.lists.length; i++) this.lists[i].total = this.totals[i]
      throw error
    }
    this.count++
  }

  /** The block's bytes (a copy): one Native body for `INSERT … FORMAT Native`. */
  finish(): Buffer {
    return nativeBlock(this.columns, this.count)
  }

  /** Empties the block for the next batch, keeping its buffers: a batch then allocates only its body. */
  reset(): void {
    for (const writer of this.writers) writer.reset()
    for (const list of this.lists) list.total = 0
    this.count = 0
  }
}
