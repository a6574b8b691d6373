/**
 * Privilege facts that happen at a point in time: a credential issued, used or revoked, an authorization
 * decision, a human approval. Each is a span event on the current span (typically the tool call
 * it happens in). When no span is recording, or the current one is a task or delegation span
 * that stays open (its events would arrive only when it ends, after later steps), the event is a
 * short span of its own, named like the event and carrying the event's and the task's
 * attributes — the collector reads a span with a contract event name as that event.
 */
import { context, trace, SpanKind, type Attributes, type Span } from '@opentelemetry/api'
import {
  ATTR_APPROVAL_ACTION,
  ATTR_APPROVAL_APPROVER,
  ATTR_APPROVAL_RESULT,
  ATTR_AUTHZ_ACTION,
  ATTR_AUTHZ_ENGINE,
  ATTR_AUTHZ_POLICY,
  ATTR_AUTHZ_RESOURCE,
  ATTR_AUTHZ_RESULT,
  ATTR_CREDENTIAL_EXPIRES_AT,
  ATTR_CREDENTIAL_ID,
  ATTR_CREDENTIAL_ISSUER,
  ATTR_CREDENTIAL_SCOPES,
  ATTR_CREDENTIAL_SUBJECT,
  ATTR_CREDENTIAL_TASK_ID,
  ATTR_CREDENTIAL_TTL_S,
  ATTR_CREDENTIAL_TYPE,
  EVENT_APPROVAL,
  EVENT_AUTHZ_DECISION,
  EVENT_CREDENTIAL_ISSUED,
  EVENT_CREDENTIAL_REVOKED,
  EVENT_CREDENTIAL_USED,
  ATTR_TARGET_RESOURCE,
  ATTR_TARGET_TENANT_ID,
} from './attributes.js'
import { preciseNow } from './clock.js'
import type { Runtime } from './runtime.js'
import { isLongLived, recordInstant } from './spans.js'
import { requireText } from './validate.js'
import { scopeAttributes, scopeOf } from './scope.js'

export interface CredentialIssue {
  /** A stable identifier of the credential (token id, key id, jti), never the secret. */
  id: string
  /** e.g. `oauth2_access_token`, `aws_sts`, `api_key`. */
  type: string
  issuer: string
  /** Who the credential was issued to (agent, workload or user identity). */
  subject: string
  scopes: string[]
  /** Lifetime from now; give this or `expiresAt`. */
  ttlSeconds?: number
  /** Absolute expiry: a Date, an RFC 3339 string or epoch milliseconds. */
  expiresAt?: Date | string | number
  /** The task the credential was minted for; the current task when absent. */
  taskId?: string
}

export interface AuthzDecision {
  result: 'allow' | 'deny'
  action: string
  resource: string
  /** The policy (id or name) that decided. */
  policy?: string
  /** The engine that evaluated it, e.g. `opa`, `cedar`, `openfga`. */
  engine?: string
}

export interface Approval {
  result: 'requested' | 'granted' | 'denied'
  action: string
  approver?: string
}

export function credentialIssued(runtime: Runtime, credential: CredentialIssue): void {
  requireText('credential.id', credential.id)
  requireText('credential.type', credential.type)
  if (credential.ttlSeconds === undefined && credential.expiresAt === undefined) {
    throw new TypeError('@privpath/sdk: credentialIssued needs ttlSeconds or expiresAt')
  }
  const taskId = credential.taskId ?? scopeOf(context.active())?.taskId ?? ''
  const attributes: Attributes = {
    [ATTR_CREDENTIAL_ID]: credential.id,
    [ATTR_CREDENTIAL_TYPE]: credential.type,
    [ATTR_CREDENTIAL_ISSUER]: credential.issuer,
    [ATTR_CREDENTIAL_SUBJECT]: credential.subject,
    [ATTR_CREDENTIAL_SCOPES]: [...credential.scopes],
  }
  if (credential.expiresAt !== undefined) attributes[ATTR_CREDENTIAL_EXPIRES_AT] = toRfc3339(credential.expiresAt)
  if (credential.ttlSeconds !== undefined) {
    if (!Number.isFinite(credential.ttlSeconds) || credential.ttlSeconds < 0) {
      throw new TypeError('@privpath/sdk: ttlSeconds must be a finite number >= 0')
    }
    attributes[ATTR_CREDENTIAL_TTL_S] = credential.ttlSeconds
  }
  if (taskId !== '') attributes[ATTR_CREDENTIAL_TASK_ID] = taskId
  addEvent(runtime, EVENT_CREDENTIAL_ISSUED, attributes)
}

/**
 * A credential presented outside a tool call (a raw HTTP request, an SDK client). Tool calls
 * record their use through `toolCall(name, { credentialId })`.
 */
export function credentialUsed(runtime: Runtime, id: string, target: { tenant?: string; resource?: string } = {}): void {
  requireText('credential.id', id)
  const attributes: Attributes = { [ATTR_CREDENTIAL_ID]: id }
  if (target.tenant !== undefined) attributes[ATTR_TARGET_TENANT_ID] = target.tenant
  if (target.resource !== undefined) attributes[ATTR_TARGET_RESOURCE] = target.resource
  addEvent(runtime, EVENT_CREDENTIAL_USED, attributes)
}

export function credentialRevoked(runtime: Runtime, id: string): void {
  requireText('credential.id', id)
  addEvent(runtime, EVENT_CREDENTIAL_REVOKED, { [ATTR_CREDENTIAL_ID]: id })
}

export function authzDecision(runtime: Runtime, decision: AuthzDecision): void {
  if (decision.result !== 'allow' && decision.result !== 'deny') {
    throw new TypeError(`@privpath/sdk: authz result must be 'allow' or 'deny', got ${String(decision.result)}`)
  }
  const attributes: Attributes = {
    [ATTR_AUTHZ_RESULT]: decision.result,
    [ATTR_AUTHZ_ACTION]: decision.action,
    [ATTR_AUTHZ_RESOURCE]: decision.resource,
  }
  if (decision.policy !== undefined) attributes[ATTR_AUTHZ_POLICY] = decision.policy
  if (decision.engine !== undefined) attributes[ATTR_AUTHZ_ENGINE] = decision.engine
  addEvent(runtime, EVENT_AUTHZ_DECISION, attributes)
}

export function approval(runtime: Runtime, approval: Approval): void {
  if (!['requested', 'granted', 'denied'].includes(approval.result)) {
    throw new TypeError(
      `@privpath/sdk: approval result must be 'requested', 'granted' or 'denied', got ${String(approval.result)}`,
    )
  }
  const attributes: Attributes = { [ATTR_APPROVAL_RESULT]: approval.result, [ATTR_APPROVAL_ACTION]: approval.action }
  if (approval.approver !== undefined) attributes[ATTR_APPROVAL_APPROVER] = approval.approver
  addEvent(runtime, EVENT_APPROVAL, attributes)
}

function addEvent(runtime: Runtime, name: string, attributes: Attributes): void {
  const active = context.active()
  const current: Span | undefined = trace.getSpan(active)
  if (current !== undefined && current.isRecording() && !isLongLived(current)) {
    current.addEvent(name, attributes, preciseNow())
    return
  }
  const own = { ...scopeAttributes(scopeOf(active)), ...attributes }
  recordInstant(runtime.tracer(), name, { kind: SpanKind.INTERNAL, attributes: own }, active)
}

function toRfc3339(value: Date | string | number): string {
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new TypeError(`@privpath/sdk: expiresAt is not a valid date: ${String(value)}`)
  }
  return date.toISOString()
}
