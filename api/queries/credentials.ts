/**
 * A credential's lifecycle: issuance, the tasks that used it, revocation and expiry. The summary
 * comes from the `credentials` materialized view; the issuing/revoking events and the per-task
 * usage come from `events` (bloom-filter index on credential_id). A tenant sees only what its own
 * tasks did with the credential; an admin sees every tenant.
 */
import { quoteIdentifier } from '../../core/store/ddl.js'
import { EVENT_SELECT, rowToEvent } from '../../core/store/rows.js'
import { limitOf, msFromMicros, requireString, visibleTenant, type Scope } from './scope.js'
import type { QueryClient } from './tasks.js'
import type { CredentialLifecycle } from '../schemas.js'
import { Conditions } from './where.js'

export interface GetCredentialOptions {
  /** Most tasks listed in `used_in` (default 1 000); counts cover all of them. */
  limit?: number
}

const table = (db: string, name: string): string => `${quoteIdentifier(db)}.${quoteIdentifier(name)}`

type Row = Record<string, unknown>

/**
 * The lifecycle summary, per tenant first: the view's rows are per (credential, tenant), and its
 * distinct counts (tasks, uses) are of task and event ids, which two tenants can share (the same
 * spans sent under two keys have the same event ids). Merging the tenants' states would count
 * their tasks and uses as one; adding the per-tenant counts does not. What the issue says (type,
 * issuer, subject, scopes, issuing task) comes from the tenant that issued it first, never a mix
 * of two tenants' issues of one id. A tenant's read has one row, so the outer step changes nothing.
 */
function summarySql(db: string, where: Conditions): string {
  const fromIssuer = (column: string, alias = column) => `argMinIf(${column}, assumeNotNull(issued_at), issued_at IS NOT NULL) AS ${alias}`
  return `
SELECT
  ${fromIssuer('tenant_id', 'issuing_tenant')},
  arraySort(groupArray(tenant_id)) AS tenants,
  ${fromIssuer('issuing_task_id')},
  ${fromIssuer('credential_type')},
  ${fromIssuer('credential_issuer')},
  ${fromIssuer('credential_subject')},
  ${fromIssuer('credential_scopes')},
  toUnixTimestamp64Micro(min(issued_at)) AS issued_at_us,
  toUnixTimestamp64Micro(max(expires_at)) AS expires_at_us,
  toUnixTimestamp64Micro(min(revoked_at)) AS revoked_at_us,
  sum(used_task_count) AS used_task_count,
  sum(use_count) AS use_count,
  toUnixTimestamp64Micro(min(first_used_at)) AS first_used_at_us,
  toUnixTimestamp64Micro(max(last_used_at)) AS last_used_at_us
FROM (
  SELECT
    credential_id,
    tenant_id,
    max(issuing_task_id) AS issuing_task_id,
    max(credential_type) AS credential_type,
    max(credential_issuer) AS credential_issuer,
    max(credential_subject) AS credential_subject,
    arraySort(groupUniqArrayArray(credential_scopes)) AS credential_scopes,
    min(issued_at) AS issued_at,
    max(expires_at) AS expires_at,
    min(revoked_at) AS revoked_at,
    uniqExactMerge(used_tasks) AS used_task_count,
    uniqExactMerge(uses) AS use_count,
    min(first_used_at) AS first_used_at,
    max(last_used_at) AS last_used_at
  FROM ${table(db, 'credentials')}
  ${where.sql('WHERE')}
  GROUP BY credential_id, tenant_id
)
GROUP BY credential_id`
}

async function rows(client: QueryClient, query: string, params: Record<string, unknown>): Promise<Row[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' })
  return result.json<Row>()
}

export async function getCredential(
  client: QueryClient,
  db: string,
  credentialId: string,
  scope: Scope,
  options: GetCredentialOptions = {},
): Promise<CredentialLifecycle | null> {
  requireString('credentialId', credentialId)
  const limit = limitOf(options.limit, 1_000)
  const tenant = visibleTenant(scope)
  if (tenant === null) return null
  const params: Record<string, unknown> = { id: credentialId, limit }
  const where = new Conditions(params).add('credential_id = {id:String}').add('tenant_id = {tenant:String}', 'tenant', tenant)

  const [summary] = await rows(client, summarySql(db, where), params)
  if (!summary) return null

  const [milestones, uses] = await Promise.all([
    rows(
      client,
      `
SELECT ${EVENT_SELECT}
FROM ${table(db, 'events')}
${where.sql('WHERE')} AND kind IN ('credential_issued', 'credential_revoked')
ORDER BY ts, seq, event_id
LIMIT 1 BY kind`,
      params,
    ),
    rows(
      client,
      `
SELECT
  tenant_id,
  task_id,
  uniqExact(event_id) AS uses,
  toUnixTimestamp64Micro(min(ts)) AS first_us,
  toUnixTimestamp64Micro(max(ts)) AS last_us
FROM ${table(db, 'events')}
${where.sql('WHERE')} AND kind = 'credential_used'
GROUP BY tenant_id, task_id
ORDER BY first_us, tenant_id, task_id
LIMIT {limit:UInt32}`,
      params,
    ),
  ])
  const events = milestones.map(rowToEvent)
  return {
    credential_id: credentialId,
    tenant_id: String(summary.issuing_tenant),
    tenants: summary.tenants as string[],
    issuing_task_id: String(summary.issuing_task_id),
    credential_type: String(summary.credential_type),
    credential_issuer: String(summary.credential_issuer),
    credential_subject: String(summary.credential_subject),
    credential_scopes: summary.credential_scopes as string[],
    issued_at: msFromMicros(summary.issued_at_us),
    expires_at: msFromMicros(summary.expires_at_us),
    revoked_at: msFromMicros(summary.revoked_at_us),
    issued: events.find((e) => e.kind === 'credential_issued') ?? null,
    revoked: events.find((e) => e.kind === 'credential_revoked') ?? null,
    used_task_count: Number(summary.used_task_count),
    use_count: Number(summary.use_count),
    first_used_at: msFromMicros(summary.first_used_at_us),
    last_used_at: msFromMicros(summary.last_used_at_us),
    used_in: uses.map((u) => ({
      tenant_id: String(u.tenant_id),
      task_id: String(u.task_id),
      uses: Number(u.uses),
      first_used_at: msFromMicros(u.first_us) as number,
      last_used_at: msFromMicros(u.last_us) as number,
    })),
  }
}
