/**
 * Rules: the newest load recorded in the `rules` table, each with what it raised in the caller's
 * scope (distinct alerts, distinct tasks, last activity). A rule without alerts still appears:
 * silence is information too. Alerts and tasks are counted per tenant: two tenants' alerts can
 * share an id, and their tasks a task id.
 */
import { quoteIdentifier } from '../../core/store/ddl.js'
import { readLoadedRules } from '../../core/store/rules.js'
import type { ClickHouseClient } from '@clickhouse/client'
import { msFromMicros, visibleTenant, type Scope } from './scope.js'
import type { RuleHits, RuleStatusRow } from '../schemas.js'
import { Conditions } from './where.js'

interface HitRow {
  rule_id: string
  alerts: number | string
  tasks: number | string
  last_seen_us: number | string
}

export async function listRules(client: Pick<ClickHouseClient, 'query'>, db: string, scope: Scope): Promise<{ rules: RuleStatusRow[] }> {
  const tenant = visibleTenant(scope)
  const rules = await readLoadedRules(client, db)
  const hits = new Map<string, RuleHits>()
  if (tenant !== null) {
    const params: Record<string, unknown> = {}
    const where = new Conditions(params).add('tenant_id = {tenant:String}', 'tenant', tenant)
    const result = await client.query({
      query: `
SELECT rule_id, uniqExact(tenant_id, alert_id) AS alerts, uniqExact(tenant_id, task_id) AS tasks, toUnixTimestamp64Micro(max(last_seen)) AS last_seen_us
FROM ${quoteIdentifier(db)}.${quoteIdentifier('alerts')}
${where.sql('WHERE')}
GROUP BY rule_id`,
      query_params: params,
      format: 'JSONEachRow',
    })
    for (const row of await result.json<HitRow>()) {
      hits.set(row.rule_id, { alerts: Number(row.alerts), tasks: Number(row.tasks), last_seen: msFromMicros(row.last_seen_us) })
    }
  }
  return { rules: rules.map((rule) => ({ ...rule, hits: hits.get(rule.rule_id) ?? { alerts: 0, tasks: 0, last_seen: null } })) }
}
