/**
 * Reads back what privpath raised for the demo's tasks (`GET /api/alerts`) and compares it with
 * what the scenarios expect: each expected rule on one of its scenario's tasks, and nothing on
 * the normal tasks.
 */
import type { Alert } from '../../core/alert.js'

export interface Expectation {
  scenario: string
  ruleId: string
  taskIds: string[]
}

export interface CheckResult {
  found: Expectation[]
  missing: Expectation[]
  /** Alerts on tasks the demo ran that no scenario expected (false positives). */
  unexpected: Alert[]
}

export interface CheckOptions {
  endpoint: string
  /** One request per key (a tenant key sees only its tenant); `undefined` = no Authorization header. */
  readKeys: Array<string | undefined>
  since: number
  expectations: Expectation[]
  demoTaskIds: Set<string>
  timeoutMs: number
  pollMs?: number
}

async function fetchAlerts(endpoint: string, key: string | undefined, since: number): Promise<Alert[]> {
  const url = new URL('/api/alerts', endpoint)
  url.searchParams.set('since', String(Math.floor(since)))
  url.searchParams.set('limit', '10000')
  const response = await fetch(url, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } })
  if (response.status !== 200) throw new Error(`GET ${url.pathname} answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  const body = (await response.json()) as { alerts: Alert[] }
  return body.alerts
}

function compare(alerts: Alert[], options: CheckOptions): CheckResult {
  const raised = new Set(alerts.map((alert) => `${alert.rule_id}\u0000${alert.task_id}`))
  const found: Expectation[] = []
  const missing: Expectation[] = []
  for (const expectation of options.expectations) {
    const hit = expectation.taskIds.some((taskId) => raised.has(`${expectation.ruleId}\u0000${taskId}`))
    ;(hit ? found : missing).push(expectation)
  }
  const expected = new Set(options.expectations.flatMap((e) => e.taskIds.map((taskId) => `${e.ruleId}\u0000${taskId}`)))
  const unexpected = alerts.filter(
    (alert) => options.demoTaskIds.has(alert.task_id) && !expected.has(`${alert.rule_id}\u0000${alert.task_id}`),
  )
  return { found, missing, unexpected }
}

/** Polls until every expectation is met or the timeout passes; alerts arrive as the detector gets to them. */
export async function checkAlerts(options: CheckOptions): Promise<CheckResult> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const batches = await Promise.all(options.readKeys.map((key) => fetchAlerts(options.endpoint, key, options.since)))
    const byId = new Map<string, Alert>()
    for (const alert of batches.flat()) byId.set(alert.alert_id, alert)
    const result = compare([...byId.values()], options)
    if (result.missing.length === 0 || Date.now() >= deadline) return result
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000))
  }
}
