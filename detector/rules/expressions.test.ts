/**
 * The compiled subset must give exactly what the jsonata interpreter gives: on every expression of
 * the built-in rule pack and on generated expressions, for generated contexts (same value, or both
 * throw the same error code).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EVENT_KINDS } from '../../core/event.js'
import { emptyEvent } from '../../core/event.js'
import { builtinRulesDir, loadRules } from './load.js'
import type { Rule } from './types.js'
import { type Expression, NeedsInterpreter, parseExpression } from '../../core/expression/index.js'

type Outcome = { value: unknown } | { error: string } | { interpreter: true }


function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}

function compiled(expr: Expression, input: unknown, vars: Record<string, unknown>): Outcome {
  try {
    return { value: plain(expr.sync!(input, vars)) }
  } catch (error) {
    if (error instanceof NeedsInterpreter) return { interpreter: true }
    return { error: (error as { code?: string }).code ?? 'no code' }
  }
}

async function interpreted(expr: Expression, input: unknown, vars: Record<string, unknown>): Promise<Outcome> {
  try {
    return { value: plain(await expr.interpret(input, vars)) }
  } catch (error) {
    return { error: (error as { code?: string }).code ?? 'no code' }
  }
}

async function assertSame(expr: Expression, input: unknown, vars: Record<string, unknown>): Promise<void> {
  const fast = compiled(expr, input, vars)
  if ('interpreter' in fast) return
  const slow = await interpreted(expr, input, vars)
  // both failing is the same outcome for a rule (counted as an error); which error comes first can
  // differ, as the interpreter evaluates array items concurrently
  if ('error' in fast && 'error' in slow) return
  expect(fast, expr.source).toEqual(slow)
}

/** The same source without the rule time budget, so a slow interpreter run is not a timeout. */
const untimed = (expr: Expression): Expression => parseExpression(expr.source)

const word = fc.constantFrom('', 'a', 'b', 'db.query', 'payments.transfer', 'acme', 'globex', 'c1', 'c2', 't1', 't2', 'read', 'admin')
const num = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0, 1_000, 60_000, 1.5, 2.5))
const words = fc.array(word, { maxLength: 4 })

const eventArb = fc.record({
  kind: fc.constantFrom(...EVENT_KINDS),
  ts: num,
  task_id: word,
  tenant_id: word,
  agent_id: word,
  workload_id: word,
  tool_name: word,
  target_tenant: word,
  target_resource: word,
  credential_id: word,
  credential_subject: word,
  credential_task_id: word,
  credential_scopes: words,
  credential_expires_at: fc.option(num, { nil: null }),
  authz_result: fc.constantFrom('', 'allow', 'deny'),
  authz_action: word,
  approval_result: fc.constantFrom('', 'requested', 'granted', 'denied'),
  approval_action: word,
  delegate_agent_id: word,
  delegated_scopes: words,
  flags: fc.array(fc.constantFrom('tenant_mismatch', 'secret_redacted', 'orphan'), { maxLength: 2 }),
  content: word,
}).map((partial) => ({ ...emptyEvent(), ...partial }))

const toolArb = fc.record({ name: word, call_id: word, target_resource: word, target_tenant: word, agent_id: word, ts: num, event_id: word })
const taskArb = fc.record({
  task_id: word,
  tenant_id: word,
  started_at: fc.option(num, { nil: null }),
  ended_at: fc.option(num, { nil: null }),
  agents: words,
  workloads: words,
  prompt_count: fc.nat(3),
  reasoning_count: fc.nat(3),
  tool_count: fc.nat(3),
  tools: fc.array(toolArb, { maxLength: 4 }),
  credentials_issued: words,
  credentials_used: words,
  credentials_revoked: words,
  authz: fc.array(fc.record({ action: word, resource: word, result: fc.constantFrom('allow', 'deny'), policy: word, agent_id: word, ts: num }), { maxLength: 3 }),
  approvals: fc.array(fc.record({ action: word, result: fc.constantFrom('requested', 'granted', 'denied'), approver: word, ts: num }), { maxLength: 3 }),
  delegations: fc.array(fc.record({ from_agent: word, to_agent: word, scopes: words, ts: num }), { maxLength: 2 }),
  agent_scopes: fc.dictionary(word, words, { maxKeys: 3 }),
  untrusted_outputs: fc.array(fc.record({ tool: word, ts: num }), { maxLength: 2 }),
  last_ts: num,
})
const credentialArb = fc.option(
  fc.record({
    credential_id: word, task_id: word, tenant_id: word, type: word, issuer: word, subject: word, scopes: words,
    issued_at: fc.option(num, { nil: null }), expires_at: fc.option(num, { nil: null }), revoked_at: fc.option(num, { nil: null }),
    used_in_tasks: words, task_ended_at: fc.option(num, { nil: null }),
  }),
  { nil: null },
)
const configArb = fc.record({
  max_credential_ttl_s: fc.constantFrom(1, 900),
  privileged_tools: fc.array(fc.constantFrom('db.*', 'payments.*', '*'), { maxLength: 2 }),
  approval_required_tools: fc.array(fc.constantFrom('payments.*', 'db.query'), { maxLength: 2 }),
  untrusted_output_tools: fc.array(fc.constantFrom('web.*', 'email.*'), { maxLength: 2 }),
})
const contextArb = fc.record({ event: eventArb, task: taskArb, credential: credentialArb, now: num, config: configArb })
const varsArb = fc.record({ prev: eventArb, after: eventArb, steps: fc.array(eventArb, { maxLength: 2 }), count: fc.nat(40) })

function expressionsOf(rule: Rule): Expression[] {
  const c = rule.correlation
  const steps = c.type === 'sequence' ? c.steps : c.type === 'absence' ? [c.after, c.expect] : []
  const groups = c.type === 'threshold' ? [c.groupBy] : c.type === 'sequence' || c.type === 'absence' ? [c.by] : []
  return [rule.when, rule.summary, rule.dedup.key, ...groups, ...steps.map((s) => s.when), ...rule.exceptions.map((e) => e.when)].filter(
    (e): e is Expression => e !== undefined,
  )
}

describe('compiled JSONata equals the interpreter', async () => {
  const pack = await loadRules(builtinRulesDir())
  const packExpressions = pack.rules.flatMap(expressionsOf)

  it('compiles (almost) every expression of the built-in pack', () => {
    expect(packExpressions.length).toBeGreaterThan(20)
    const interpreted = packExpressions.filter((e) => !e.sync).map((e) => e.source)
    expect(interpreted.length).toBeLessThanOrEqual(2)
  })

  it('on every expression of the built-in pack, for generated contexts', async () => {
    const compiledOnes = packExpressions.filter((e) => e.sync).map(untimed)
    await fc.assert(
      fc.asyncProperty(contextArb, varsArb, async (ctx, vars) => {
        for (const expr of compiledOnes) await assertSame(expr, ctx, vars)
      }),
      { numRuns: 300 },
    )
  })

  const path = fc.constantFrom(
    'event.tool_name', 'event.credential_scopes', 'event.ts', 'event.credential_expires_at', 'event.flags', 'event.kind',
    'task.tools', 'task.tools.name', 'task.tools[0]', 'task.tools[-1].target_tenant', 'task.tools[name = "db.query"].ts',
    'task.tools[ts > 0].name', 'task.agents', 'task.agent_scopes', 'task.agent_scopes.a', 'task.approvals[result = "granted"].ts',
    'task.delegations.scopes', 'task.delegations[0].scopes[1]', 'credential', 'credential.task_id', 'credential.expires_at',
    'credential.used_in_tasks', 'config.privileged_tools', 'now', '$prev.ts', '$after.tool_name', '$steps.agent_id', 'missing.field',
    'task.tools[[0, 1]].name', 'task.authz[result = "deny" and action = "a"]',
  )
  const literal = fc.oneof(
    word.map((w) => JSON.stringify(w)),
    num.map(String),
    fc.constantFrom('true', 'false', 'null', '[]', '["a", "b"]', '[1, [2, 3]]'),
  )
  const { expr } = fc.letrec<{ expr: string; atom: string }>((tie) => ({
    atom: fc.oneof({ weight: 3, arbitrary: path }, { weight: 2, arbitrary: literal }),
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('atom'),
      fc.tuple(tie('expr'), fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'and', 'or', '&', 'in', '+', '-', '*', '%'), tie('expr')).map(
        ([a, op, b]) => `(${a} ${op} ${b})`,
      ),
      fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
      fc.tuple(
        fc.constantFrom('$exists', '$count', '$string', '$not', '$boolean', '$lowercase', '$length', '$max', '$sum', '$join', '$round'),
        tie('expr'),
      ).map(([f, a]) => `${f}(${a})`),
      fc.tuple(fc.constantFrom('$glob', '$contains_all', '$minus', '$contains', '$lookup'), tie('expr'), tie('expr')).map(
        ([f, a, b]) => `${f}(${a}, ${b})`,
      ),
      tie('expr').map((a) => `-(${a})`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `[${a}, ${b}]`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `($x := ${a}; $y := $x; [$y, ${b}])`),
      tie('expr').map((a) => `task.tools[${a}]`),
    ),
  }))

  it('on generated expressions and contexts', async () => {
    let checked = 0
    await fc.assert(
      fc.asyncProperty(expr, contextArb, varsArb, async (source, ctx, vars) => {
        const e = parseExpression(source)
        if (!e.sync) return
        checked++
        await assertSame(e, ctx, vars)
      }),
      { numRuns: 3_000 },
    )
    expect(checked).toBeGreaterThan(2_000)
  })
})
