/**
 * Read side of the API: plain functions over a ClickHouse client, each taking the caller's scope
 * and returning JSON-ready objects (times as epoch ms). The fastify routes are a thin layer on top.
 * In: a `@clickhouse/client` client, the database name, filters, a scope. Out: tasks, task
 * details with events, credential lifecycles, alerts. Every user value is a query parameter.
 * Not here yet: cursor pagination (queries take a limit), full-text search over content.
 */
export { listAlerts } from './alerts.js'
export { getCredential } from './credentials.js'
export { listRules } from './rules.js'

export { getTask } from './task-detail.js'
export { listTasks } from './tasks.js'
