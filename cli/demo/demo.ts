/** The demo run: the fleet's tasks and anomalies sent over OTLP, then the alerts checked (see index.ts). */
import { randomBytes } from 'node:crypto'
import { anomalies } from './anomalies.js'
import { checkAlerts, type CheckResult, type Expectation } from './check.js'
import { createFleet } from './fleet.js'
import { normalTask, type Scenario } from './scenario.js'

const DEFAULT_TENANTS = ['acme', 'globex', 'initech'] as const

export interface DemoOptions {
  endpoint: string
  /** Tasks started per second. */
  rate: number
  /** Normal tasks besides the anomaly scenarios. */
  tasks: number
  apiKey?: string
  /** Per-tenant ingest keys; with two or more, the fleet's tenants are theirs. */
  tenantKeys?: Record<string, string>
  /** Prefix of every task and credential id; random when absent. */
  runId?: string
  /** After sending, wait up to this long for the expected alerts (0: do not check). */
  waitMs?: number
}

interface ScenarioRun {
  scenario: string
  taskIds: string[]
  expects: string[]
  error?: string
}

export interface DemoReport {
  runId: string
  startedAt: number
  tenants: string[]
  runs: ScenarioRun[]
  /** Scenarios left out and why. */
  skipped: Array<{ scenario: string; reason: string }>
  expectations: Expectation[]
  check?: CheckResult
}

function fleetTenants(keys: Record<string, string>): [string, string, string] {
  const named = Object.keys(keys)
  if (named.length === 0) return [...DEFAULT_TENANTS]
  if (named.length === 1) throw new Error('--tenant-key: give keys for at least two tenants (cross-tenant scenarios need them)')
  return [named[0], named[1], named[2] ?? named[0]]
}

/** Normal tasks with the anomalies spread evenly among them. */
function schedule(normal: Scenario[], odd: Scenario[]): Scenario[] {
  const out: Scenario[] = []
  const step = Math.max(1, Math.floor(normal.length / Math.max(1, odd.length)))
  let next = 0
  normal.forEach((scenario, index) => {
    out.push(scenario)
    if ((index + 1) % step === 0 && next < odd.length) out.push(odd[next++])
  })
  return [...out, ...odd.slice(next)]
}

/** Fails fast, naming the address, instead of letting every export retry against nothing. */
async function requireReachable(endpoint: string): Promise<void> {
  const url = new URL('/healthz', endpoint)
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    await response.body?.cancel()
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
    throw new Error(`cannot reach privpath at ${endpoint} (${cause}); start it with \`privpath up\` or pass --endpoint`, { cause: error })
  }
}

export async function runDemo(options: DemoOptions, print: (line: string) => void): Promise<DemoReport> {
  if (!(options.rate > 0)) throw new Error('--rate must be a number above 0')
  if (!Number.isInteger(options.tasks) || options.tasks < 0) throw new Error('--tasks must be a whole number >= 0')
  const tenantKeys = options.tenantKeys ?? {}
  const tenants = fleetTenants(tenantKeys)
  const runId = options.runId ?? `demo-${randomBytes(3).toString('hex')}`
  const perTenantKeys = Object.keys(tenantKeys).length > 0
  const skipped: DemoReport['skipped'] = []
  const odd = anomalies().filter((scenario) => {
    if (scenario.requiresTenantKeys && !perTenantKeys) {
      skipped.push({ scenario: scenario.name, reason: 'needs per-tenant keys (--tenant-key): without them no claim can be told from the truth' })
      return false
    }
    if (scenario.crossesTenants && perTenantKeys && options.apiKey === undefined) {
      skipped.push({ scenario: scenario.name, reason: 'with per-tenant keys each tenant is its own isolation domain: it needs the deployment (admin) key, --api-key, to send for two tenants' })
      return false
    }
    return true
  })
  await requireReachable(options.endpoint)
  const plan = schedule(Array.from({ length: options.tasks }, (_, index) => normalTask(index)), odd)
  const fleet = await createFleet({ endpoint: options.endpoint, tenants: [...new Set(tenants)], tenantKeys, apiKey: options.apiKey })
  const startedAt = Date.now()
  print(`privpath demo ${runId} → ${options.endpoint}: tenants ${[...new Set(tenants)].join(', ')}; ${options.tasks} normal tasks, ${odd.length} anomaly scenarios, ${options.rate} tasks/s`)

  const context = {
    fleet,
    tenants,
    id: (label: string) => `${runId}-${label}`,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  }
  const runs = await Promise.all(
    plan.map(async (scenario, index): Promise<ScenarioRun> => {
      await context.sleep((index * 1_000) / options.rate)
      try {
        const taskIds = await scenario.run(context)
        const expecting = scenario.expects.length > 0 ? `  expect: ${scenario.expects.join(', ')}` : ''
        print(`  sent ${taskIds.join(' + ')}  ${scenario.name}${expecting}`)
        return { scenario: scenario.name, taskIds, expects: scenario.expects }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        print(`  FAILED ${scenario.name}: ${message}`)
        return { scenario: scenario.name, taskIds: [], expects: scenario.expects, error: message }
      }
    }),
  )
  await fleet.shutdown()

  const expectations = runs.flatMap((run) => run.expects.map((ruleId) => ({ scenario: run.scenario, ruleId, taskIds: run.taskIds })))
  print(`sent ${runs.reduce((n, run) => n + run.taskIds.length, 0)} tasks; privpath should flag:`)
  for (const ruleId of [...new Set(expectations.map((e) => e.ruleId))].sort()) {
    const tasks = expectations.filter((e) => e.ruleId === ruleId).flatMap((e) => e.taskIds)
    print(`  ${ruleId.padEnd(36)} ${[...new Set(tasks)].join(', ')}`)
  }
  for (const skip of skipped) print(`  (skipped: ${skip.scenario} — ${skip.reason})`)
  const report: DemoReport = { runId, startedAt, tenants: [...new Set(tenants)], runs, skipped, expectations }
  if ((options.waitMs ?? 0) > 0) {
    report.check = await checkAlerts({
      endpoint: options.endpoint,
      readKeys: perTenantKeys ? Object.values(tenantKeys) : [options.apiKey],
      since: startedAt - 60_000,
      expectations,
      demoTaskIds: new Set(runs.flatMap((run) => run.taskIds)),
      timeoutMs: options.waitMs ?? 0,
    })
    for (const hit of report.check.found) print(`  ✓ ${hit.ruleId} (${hit.scenario})`)
    for (const miss of report.check.missing) print(`  ✗ ${miss.ruleId} not raised (${miss.scenario})`)
    for (const extra of report.check.unexpected) print(`  ! unexpected ${extra.rule_id} on ${extra.task_id}: ${extra.summary}`)
  }
  return report
}
