/**
 * `privpath rules replay`: a backtest. Streams stored events of a time range from ClickHouse in
 * (ts, seq, event_id) order, page by page, through the detector's `replay` (a fresh engine with
 * the current rules) and reports the alerts it would have raised and how many per rule. Absence
 * windows still open at the last event are reported as pending, not fired. Delivers nothing
 * unless asked (`deliver`), and then only through the delivery outbox of the embedded deployment.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { Alert } from '../../core/alert.js'
import type { Config } from '../../core/config/schema.js'
import type { PrivpathEvent } from '../../core/event.js'
import { silentTelemetry, type Telemetry } from '../../core/telemetry.js'
import { formatProblem, loadRules, replay, resolveRulesDirs } from '../../detector/index.js'
import type { CommandIO } from './io.js'
import { ProgressBar } from './progress.js'
import { countStoredEvents, storedEvents } from './stored-events.js'
import { parseTimeArg } from './time.js'
import { deliverAlerts, checkDeliverable } from './deliver.js'

export interface ReplayOptions {
  from: string
  to?: string
  rule?: string[]
  tenant?: string
  json?: boolean
  deliver?: boolean
  /** Rule directory; default the configured `detector.rules_dir` (built-in pack when empty). */
  rules?: string
  pageSize?: number
}

export interface ReplayDeps {
  config: Config
  client: ClickHouseClient
  io: CommandIO
  telemetry?: Telemetry
  now?: () => number
}

interface RuleCount {
  rule_id: string
  alerts: number
  firings: number
}

export interface ReplayReport {
  from: string
  to: string
  events: number
  alerts: Alert[]
  rules: RuleCount[]
  /** Absence windows still open at the end of the range. */
  pending: number
}

function alertLine(a: Alert): string {
  const repeats = a.count > 1 ? ` (x${a.count})` : ''
  return `${new Date(a.first_seen).toISOString()}  ${a.severity.padEnd(8)}  ${a.rule_id}  ${a.tenant_id}/${a.task_id}  ${a.summary}${repeats}\n`
}

function countsTable(counts: RuleCount[]): string {
  const width = Math.max(4, ...counts.map((c) => c.rule_id.length))
  const lines = [`${'rule'.padEnd(width)}  alerts  firings`]
  for (const c of counts) lines.push(`${c.rule_id.padEnd(width)}  ${String(c.alerts).padStart(6)}  ${String(c.firings).padStart(7)}`)
  return lines.join('\n') + '\n'
}

export async function replayCommand(options: ReplayOptions, deps: ReplayDeps): Promise<number> {
  const { config, client, io } = deps
  const now = (deps.now ?? Date.now)()
  const from = parseTimeArg('from', options.from, now)
  const to = parseTimeArg('to', options.to ?? 'now', now)
  if (to <= from) throw new Error(`--to (${new Date(to).toISOString()}) must be after --from (${new Date(from).toISOString()})`)

  const set = await loadRules(resolveRulesDirs(options.rules ?? config.detector.rules_dir), { timeoutMs: config.detector.rule_timeout_ms })
  if (set.errors.length > 0) {
    for (const p of set.errors) io.stderr.write(`error: ${formatProblem(p)}\n`)
    throw new Error(`the rules do not validate (${set.errors.length} errors); run "privpath rules validate"`)
  }
  let rules = set.rules
  if (options.rule && options.rule.length > 0) {
    const unknown = options.rule.filter((id) => !rules.some((r) => r.id === id))
    if (unknown.length > 0) throw new Error(`unknown rule id: ${unknown.join(', ')}`)
    rules = rules.filter((r) => options.rule!.includes(r.id))
  }
  if (options.deliver) checkDeliverable(config)

  const telemetry = deps.telemetry ?? silentTelemetry()
  const range = { database: config.store.database, from, to, tenant: options.tenant, pageSize: options.pageSize }
  const total = await countStoredEvents(client, range).catch((error: unknown) => {
    const where = config.store.clickhouse_url || config.store.data_dir
    throw new Error(`cannot read ${config.store.database}.events from ${where}: ${(error as Error).message.trim()} (has "privpath up" created the store there?)`)
  })
  const progress = new ProgressBar(io.stderr, total)
  progress.update(0)
  async function* withProgress(): AsyncGenerator<PrivpathEvent> {
    let read = 0
    for await (const page of storedEvents(client, range)) {
      yield* page
      read += page.length
      progress.update(read)
    }
  }
  const result = await replay({ events: withProgress(), rules, config: config.detector, telemetry, batchSize: options.pageSize })
  progress.finish()

  const alerts = [...result.alerts].sort((a, b) => a.first_seen - b.first_seen || a.alert_id.localeCompare(b.alert_id))
  const rulesCounted: RuleCount[] = rules
    .map((r) => ({ rule_id: r.id, alerts: result.countsByRule[r.id] ?? 0, firings: result.firingsByRule[r.id] ?? 0 }))
    .filter((c) => c.alerts > 0 || options.rule !== undefined)
  const report: ReplayReport = {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    events: result.events,
    alerts,
    rules: rulesCounted,
    pending: result.pending,
  }

  if (options.json) io.stdout.write(JSON.stringify(report) + '\n')
  else {
    for (const a of alerts) io.stdout.write(alertLine(a))
    if (rulesCounted.length > 0) io.stdout.write('\n' + countsTable(rulesCounted))
    const pending = report.pending > 0 ? ` (${report.pending} absence windows still open)` : ''
    io.stdout.write(
      `replayed ${report.events} events from ${report.from} to ${report.to}: ${alerts.length} alerts from ${new Set(alerts.map((a) => a.rule_id)).size} rules${pending}\n`,
    )
  }
  if (options.deliver) {
    const outcome = await deliverAlerts(alerts, { config, telemetry })
    io.stderr.write(`delivered ${outcome.handedOver} alerts to the outbox; ${outcome.pending} still pending (the next privpath process on ${config.store.data_dir} sends them)\n`)
  }
  return 0
}
