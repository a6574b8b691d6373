/**
 * privpath's own contract events (span events, whole spans by name, or log records by event name):
 * credentials, authorization decisions, approvals and explicit task boundaries.
 */
import type { EventKind, PrivpathEvent } from '../../core/event.js'
import type { AttributeReader } from './attributes.js'

const CONTRACT_EVENTS: Readonly<Record<string, EventKind>> = {
  'credential.issued': 'credential_issued',
  'credential.used': 'credential_used',
  'credential.revoked': 'credential_revoked',
  'authz.decision': 'authz_decision',
  approval: 'approval',
  'agent.task.start': 'task_start',
  'agent.task.end': 'task_end',
}

function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

export function contractKind(name: string): EventKind | undefined {
  return lookup(CONTRACT_EVENTS, name)
}

const AUTHZ_RESULTS: Readonly<Record<string, PrivpathEvent['authz_result']>> = {
  allow: 'allow',
  allowed: 'allow',
  permit: 'allow',
  deny: 'deny',
  denied: 'deny',
  forbid: 'deny',
}

const APPROVAL_RESULTS: Readonly<Record<string, PrivpathEvent['approval_result']>> = {
  requested: 'requested',
  pending: 'requested',
  granted: 'granted',
  approved: 'granted',
  denied: 'denied',
  rejected: 'denied',
}

/** `credential.expires_at` (RFC 3339, or epoch ms) or event time + `credential.ttl_s`; null when neither parses. */
function expiresAt(reader: AttributeReader, ts: number): number | null {
  const raw = reader.string('credential.expires_at')
  if (raw !== '') {
    const parsed = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw)
    if (Number.isFinite(parsed)) return parsed
  }
  // A finite but huge ttl still overflows to Infinity, which no event may carry.
  const expires = ts + Number(reader.string('credential.ttl_s')) * 1000
  return reader.has('credential.ttl_s') && Number.isFinite(expires) ? expires : null
}

/**
 * Sets the credential fields of an event that names a credential (`credential.id` present).
 * Fields are written into the event rather than returned and spread: mapping runs per span on the
 * collector's event loop, and spreading partial objects was a measurable share of it.
 */
export function setCredentialFields(event: PrivpathEvent, reader: AttributeReader, ts: number): void {
  event.credential_id = reader.string('credential.id')
  event.credential_type = reader.string('credential.type')
  event.credential_issuer = reader.string('credential.issuer')
  event.credential_subject = reader.string('credential.subject')
  event.credential_scopes = reader.list('credential.scopes')
  event.credential_expires_at = expiresAt(reader, ts)
  event.credential_task_id = reader.string('credential.task.id')
}

/** Sets the fields a contract event of its kind carries; unknown result words leave the result empty (raw value kept in attributes). */
export function setContractFields(event: PrivpathEvent, reader: AttributeReader, ts: number): void {
  switch (event.kind) {
    case 'credential_issued':
    case 'credential_used':
    case 'credential_revoked':
      setCredentialFields(event, reader, ts)
      return
    case 'authz_decision': {
      const result = lookup(AUTHZ_RESULTS, reader.peek('authz.result').toLowerCase())
      if (result) reader.consume('authz.result')
      event.authz_result = result ?? ''
      event.authz_policy = reader.string('authz.policy')
      event.authz_engine = reader.string('authz.engine')
      event.authz_action = reader.string('authz.action')
      event.authz_resource = reader.string('authz.resource')
      return
    }
    case 'approval': {
      const result = lookup(APPROVAL_RESULTS, reader.peek('approval.result').toLowerCase())
      if (result) reader.consume('approval.result')
      event.approval_result = result ?? ''
      event.approval_approver = reader.string('approval.approver')
      event.approval_action = reader.string('approval.action')
      return
    }
  }
}
