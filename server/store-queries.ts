/** The query API's reads, answered by the store (api/queries over ClickHouse). */
import { type ApiQueries, getCredential, getTask, listAlerts, listRules, listTasks } from '../api/index.js'
import type { ClickHouseClient } from '../core/store/index.js'

export function storeQueries(client: ClickHouseClient, database: string): ApiQueries {
  return {
    listTasks: async (params, scope) =>
      (
        await listTasks(
          client,
          database,
          { tenant: params.tenant, since: params.since, until: params.until, limit: params.limit, hasAlerts: params.has_alerts },
          scope,
        )
      ).tasks,
    getTask: async (id, scope, tenant) => (await getTask(client, database, id, scope, { tenant })) ?? undefined,
    getCredential: async (id, scope) => (await getCredential(client, database, id, scope)) ?? undefined,
    listAlerts: async (params, scope) =>
      (
        await listAlerts(
          client,
          database,
          {
            tenant: params.tenant,
            since: params.since,
            until: params.until,
            rule: params.rule,
            task: params.task,
            severity: params.severity,
            category: params.category,
            limit: params.limit,
          },
          scope,
        )
      ).alerts,
    listRules: async (scope) => (await listRules(client, database, scope)).rules,
  }
}
