/**
 * Cost of one Cedar policy evaluation (PolicySet.evaluate) with the example policy set of
 * examples/policies: the decision endpoint calls it once per proposed step, within a p99 target of
 * 5 ms at 1,000 decisions/s. Inputs are the example set's inline test inputs with full contexts
 * (live credentials, several arguments), so the request carries what the engine would send.
 *
 *   npx tsx bench/policies.bench.ts      # BENCH_CALLS (default 20000) evaluations per default
 */
import { join } from 'node:path'
import { loadPolicies } from '../detector/decision/policies/index.js'
import type { PolicyInput } from '../detector/decision/policy-input.js'

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000)
const DIR = join(import.meta.dirname, '..', 'examples', 'policies')

function enrich(input: PolicyInput, n: number): PolicyInput {
  const credential = { id: `cred-${n}`, scopes: ['payments:write', 'crm:read'], ttl_ms: 60_000 + n, task_id: input.context.task_id, revoked: false, expired: false, task_ended: false }
  return {
    ...input,
    context: {
      ...input.context,
      task_id: input.context.task_id || `task-${n}`,
      trace_id: `trace-${n}`,
      arguments: [
        ...input.context.arguments,
        { kind: 'email', origin: 'user', injected: false, source_tool: '' },
        { kind: 'url', origin: 'tool', injected: false, source_tool: 'web.fetch' },
      ],
      live_credentials: [credential, { ...credential, id: `cred-${n}-b`, scopes: ['crm:read'] }],
    },
  }
}

for (const policyDefault of ['allow', 'deny'] as const) {
  const load = await loadPolicies([DIR], { policyDefault })
  if (!load.policies) throw new Error(`examples/policies do not load: ${load.errors.map((e) => e.message).join('; ')}`)
  const set = load.policies
  const inputs = load.tests.map((t, i) => enrich(t.input, i))
  for (let i = 0; i < 2_000; i++) set.evaluate(inputs[i % inputs.length])
  const samples = new Float64Array(CALLS)
  let denied = 0
  // CPU time too: on a shared machine the wall clock measures the neighbours
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  for (let i = 0; i < CALLS; i++) {
    const t = process.hrtime.bigint()
    if (set.evaluate(inputs[i % inputs.length]).denials.length > 0) denied++
    samples[i] = Number(process.hrtime.bigint() - t) / 1_000
  }
  const total = Number(process.hrtime.bigint() - started) / 1_000
  const used = process.cpuUsage(cpu)
  samples.sort()
  const at = (q: number) => samples[Math.min(CALLS - 1, Math.floor(q * CALLS))].toFixed(1)
  console.log(
    `policy_default ${policyDefault}: ${set.size} policies, ${inputs.length} inputs, ${CALLS} calls (${denied} denied): ` +
      `${((used.user + used.system) / CALLS).toFixed(1)} µs CPU/evaluate; wall ${(total / CALLS).toFixed(1)} µs mean, ` +
      `p50 ${at(0.5)} µs, p99 ${at(0.99)} µs, max ${at(1)} µs`,
  )
}
