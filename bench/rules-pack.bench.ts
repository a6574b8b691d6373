/**
 * Cost of the built-in rule pack in the detector engine, measured side by side in one run: the
 * same synthetic task stream through an engine with no rules (state upkeep only), with the full
 * pack, and with each rule alone (which rules are expensive). Tasks follow the privilege path the
 * pack watches (credential issue, untrusted fetch, authz, privileged tool, revoke), and one task in
 * ten commits a violation, so alerts are raised and deduplicated too.
 *
 *   npm run bench:rules             # 20k tasks ≈ 220k events (BENCH_TASKS to change)
 */
import { emptyEvent, type PrivpathEvent } from '../core/event.js'
import { silentTelemetry } from '../core/telemetry.js'
import { detectorConfig } from '../detector/config.js'
import { DetectorEngine } from '../detector/engine/engine.js'
import { builtinRulesDir, loadRules } from '../detector/rules/load.js'
import type { Rule } from '../detector/rules/types.js'

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000)
const PER_RULE_TASKS = Math.max(1, Math.floor(TASKS / 8))
const T0 = Date.UTC(2026, 10, 24)

function taskEvents(n: number): PrivpathEvent[] {
  const task = `task-${n}`
  const tenant = `tenant-${n % 50}`
  const agent = `agent-${n % 200}`
  const credential = `cred-${n}`
  const start = T0 + n * 500
  const violating = n % 10 === 0
  const base = { ...emptyEvent(), task_id: task, tenant_id: tenant, agent_id: agent, workload_id: `wl-${agent}` }
  const at = (i: number, fields: Partial<PrivpathEvent>): PrivpathEvent => ({
    ...base,
    event_id: `${task}-${i}`,
    ts: start + i * 40,
    seq: 0,
    observed_at: start + i * 40,
    ...fields,
  })
  return [
    at(0, { kind: 'task_start' }),
    at(1, { kind: 'prompt', content: 'refund order 12345' }),
    at(2, { kind: 'reasoning_step' }),
    at(3, {
      kind: 'credential_issued', credential_id: credential, credential_subject: agent, credential_scopes: ['payments:write'],
      credential_expires_at: start + (violating ? 3_600_000 : 300_000),
    }),
    at(4, { kind: 'tool_invocation', tool_name: 'web.fetch', target_resource: 'https://example.com/order' }),
    at(5, { kind: 'authz_decision', authz_result: 'allow', authz_action: 'payments.refund', authz_policy: 'refunds' }),
    at(6, { kind: 'tool_invocation', tool_name: violating ? 'payments.transfer' : 'payments.refund', target_tenant: violating ? 'tenant-x' : tenant }),
    at(7, { kind: 'credential_used', credential_id: violating ? `cred-${n - 10}` : credential, credential_subject: agent }),
    at(8, { kind: 'tool_invocation', tool_name: 'db.query', target_tenant: tenant }),
    at(9, { kind: 'credential_revoked', credential_id: credential }),
    at(10, { kind: 'task_end' }),
  ]
}

function stream(tasks: number): PrivpathEvent[] {
  const events: PrivpathEvent[] = []
  for (let n = 0; n < tasks; n++) events.push(...taskEvents(n))
  return events
}

async function run(rules: Rule[], events: PrivpathEvent[]): Promise<{ perSecond: number; alerts: number }> {
  const engine = new DetectorEngine({ rules, config: detectorConfig(), telemetry: silentTelemetry() })
  const ids = new Set<string>()
  const started = performance.now()
  for (let i = 0; i < events.length; i += 1_000) {
    for (const alert of await engine.processBatch(events.slice(i, i + 1_000))) ids.add(alert.alert_id)
  }
  for (const alert of await engine.advance(Number.MAX_SAFE_INTEGER)) ids.add(alert.alert_id)
  const ms = performance.now() - started
  return { perSecond: events.length / (ms / 1000), alerts: ids.size }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12)

const set = await loadRules(builtinRulesDir())
if (set.errors.length > 0) throw new Error(`built-in pack does not load: ${set.errors.map((e) => e.message).join('; ')}`)
const events = stream(TASKS)
console.log(`${TASKS} tasks, ${events.length} events, ${set.rules.length} rules`)
// Warm-up: JIT, compiled expressions, every rule's code path.
await run([], stream(2_000))
await run(set.rules, stream(2_000))
const bare = await run([], events)
const full = await run(set.rules, events)
console.log(`${'no rules (state upkeep only)'.padEnd(44)} ${fmt(bare.perSecond)} events/s`)
console.log(`${'full built-in pack'.padEnd(44)} ${fmt(full.perSecond)} events/s  ${full.alerts} alerts  ${(bare.perSecond / full.perSecond).toFixed(2)}x the cost of no rules`)

// Per rule, "no rules" is measured right before the rule on the same sample, so the ratio compares
// neighbours in time and load from other processes on the machine skews both sides alike.
const sample = stream(PER_RULE_TASKS)
console.log(`\neach rule alone, ${sample.length} events, against no rules measured just before it`)
const rows: Array<{ id: string; perSecond: number; alerts: number; ratio: number }> = []
for (const rule of set.rules) {
  const bareRun = await run([], sample)
  const ruleRun = await run([rule], sample)
  rows.push({ id: rule.id, ...ruleRun, ratio: bareRun.perSecond / ruleRun.perSecond })
}
for (const row of rows.sort((a, b) => b.ratio - a.ratio)) {
  console.log(`${row.id.padEnd(44)} ${fmt(row.perSecond)} events/s  ${String(row.alerts).padStart(6)} alerts  ${row.ratio.toFixed(2)}x`)
}
