/** Alerts, newest activity first, each at its latest version (`FINAL` collapses versions by updated_at). */
import { ALERT_CATEGORIES, SEVERITIES, type Alert, type AlertCategory, type Severity } from '../../core/alert.js'
import { quoteIdentifier } from '../../core/store/ddl.js'
import { ALERT_SELECT, rowToAlert } from '../../core/store/rows.js'
import { badRequest, limitOf, timeParam, visibleTenant, type Scope } from './scope.js'
import type { QueryClient } from './tasks.js'
import { Conditions } from './where.js'

export interface ListAlertsFilter {
  /** Alerts active at or after this time (last_seen, epoch ms). */
  since?: number
  /** Alerts first seen at or before this time (epoch ms). */
  until?: number
  rule?: string
  task?: string
  tenant?: string
  severity?: Severity
  /** Only incidents or only posture findings; both when absent. */
  category?: AlertCategory
  limit?: number
}

export async function listAlerts(client: QueryClient, db: string, filter: ListAlertsFilter, scope: Scope): Promise<{ alerts: Alert[] }> {
  const tenant = visibleTenant(scope, filter.tenant)
  const limit = limitOf(filter.limit, 100)
  if (filter.severity !== undefined && !(SEVERITIES as readonly string[]).includes(filter.severity)) {
    throw badRequest(`severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(filter.severity)}`)
  }
  if (filter.category !== undefined && !(ALERT_CATEGORIES as readonly string[]).includes(filter.category)) {
    throw badRequest(`category must be one of ${ALERT_CATEGORIES.join(', ')}, got ${JSON.stringify(filter.category)}`)
  }
  const since = timeParam('since', filter.since)
  const until = timeParam('until', filter.until)
  if (tenant === null) return { alerts: [] }
  const params: Record<string, unknown> = { limit }
  // WHERE runs after FINAL picks each alert's latest version, so filters see current values.
  const where = new Conditions(params)
    .add('tenant_id = {tenant:String}', 'tenant', tenant)
    .add('rule_id = {rule:String}', 'rule', filter.rule)
    .add('task_id = {task:String}', 'task', filter.task)
    .add('severity = {severity:String}', 'severity', filter.severity)
    .add('category = {category:String}', 'category', filter.category)
    .add('last_seen >= fromUnixTimestamp64Micro({since_us:Int64})', 'since_us', since)
    .add('first_seen <= fromUnixTimestamp64Micro({until_us:Int64})', 'until_us', until)
  const result = await client.query({
    query: `
SELECT ${ALERT_SELECT}
FROM ${quoteIdentifier(db)}.${quoteIdentifier('alerts')} FINAL
${where.sql('WHERE')}
ORDER BY last_seen DESC, alert_id
LIMIT {limit:UInt32}`,
    query_params: params,
    format: 'JSONEachRow',
  })
  return { alerts: (await result.json<Record<string, unknown>>()).map(rowToAlert) }
}
