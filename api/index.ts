/**
 * The HTTP read side. The query API (the api role): tasks, credentials, alerts and rules read from
 * the store, scoped to the caller's tenant. The operations endpoints (every process): `/healthz`,
 * `/readyz` with each role's checks, `/metrics`.
 *
 * In: HTTP GETs (query strings validated by TypeBox; a bad parameter is a 400 naming it), the
 * caller's tenant key. Out: JSON. The queries themselves are injected (api/queries over the store).
 * Rules (`/api/rules`) are served when the queries can list them.
 * Not here: writes of any kind, pagination cursors (use `until` with the last item's time).
 */
export { operationsApi } from './operations.js'
export type { Readiness } from './operations.js'
export { queryApi } from './query-api.js'
export type { AlertListParams, ApiQueries, Scope, TaskListParams } from './query-api.js'
export { parseTime } from './time.js'
export { getCredential, getTask, listAlerts, listRules, listTasks } from './queries/index.js'
