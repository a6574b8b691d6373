import { join } from 'node:path'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import { describe, expect, it } from 'vitest'
import type { PolicyInput } from '../policy-input.js'
import { loadPolicies } from './load.js'
import { parsePolicyText } from './parse.js'
import { PolicySet, type PolicyDefault } from './policy-set.js'
import { policyInput } from './test-file.js'

function policySet(text: string, policyDefault: PolicyDefault = 'allow'): PolicySet {
  const parsed = parsePolicyText('/p/set.cedar', text)
  expect(parsed.errors).toEqual([])
  return new PolicySet(parsed.policies, { policyDefault })
}

const INJECTION = `@id("no-injection") @reason("injected argument")
forbid (principal, action, resource) when { context.privileged && context.arguments_injected };`
const SHADOW = `@id("untrusted") @mode("shadow")
forbid (principal, action, resource) when { context.untrusted_content_seen };`
const PERMIT_READS = `@id("reads") permit (principal, action == Action::"db.read", resource);`

const injected = policyInput({ action: 'db.drop', context: { privileged: true, arguments_injected: true } })
const untrusted = (action: string) => policyInput({ action, context: { untrusted_content_seen: true } })

describe('PolicySet under policy_default allow', () => {
  it('allows what no forbid matches, and names each forbid that does', () => {
    const set = policySet(`${INJECTION}\n${SHADOW}`)
    expect(set.size).toBe(2)
    expect(set.ids()).toEqual(['no-injection', 'untrusted'])
    expect(set.evaluate(policyInput({ action: 'db.drop' }))).toEqual({ denials: [], errors: [] })
    expect(set.evaluate(injected)).toEqual({ denials: [{ id: 'no-injection', mode: 'enforce', reason: 'injected argument' }], errors: [] })
    const both = set.evaluate({ ...injected, context: { ...injected.context, untrusted_content_seen: true } })
    // in the set's order, whatever order Cedar found them in
    expect(both.denials.map((d) => [d.id, d.mode])).toEqual([['no-injection', 'enforce'], ['untrusted', 'shadow']])
  })

  it('allows everything with no policies', () => {
    expect(policySet('').evaluate(injected)).toEqual({ denials: [], errors: [] })
  })

  it('reports a policy that fails to evaluate, which neither allows nor denies', () => {
    const set = policySet(`@id("overflow") forbid (principal, action, resource) when { context.delegation_depth * 9223372036854775807 > 1 };`)
    const verdict = set.evaluate(policyInput({ context: { delegation_depth: 2 } }))
    expect(verdict.denials).toEqual([])
    expect(verdict.errors).toEqual([expect.stringMatching(/^overflow: .*overflow/)])
  })

  it('reports a request Cedar cannot take as an error of the set', () => {
    const input = policyInput({ action: 'payments.transfer', context: { credential: { id: 'c', scopes: ['payments:write'] } } })
    input.context.credential.ttl_ms = 1.5
    const set = policySet(`forbid (principal, action, resource) when { context.credential.ttl_ms < 30000 };`)
    expect(set.evaluate(input)).toEqual({ denials: [], errors: [expect.stringMatching(/^policy set: /)] })
  })
})

describe('PolicySet under policy_default deny', () => {
  it('denies by default-deny what no permit matches', () => {
    const set = policySet(PERMIT_READS, 'deny')
    expect(set.evaluate(policyInput({ action: 'db.read' }))).toEqual({ denials: [], errors: [] })
    expect(set.evaluate(policyInput({ action: 'db.drop' }))).toEqual({
      denials: [{ id: 'default-deny', mode: 'enforce', reason: 'no policy permits this call (decision.policy_default: deny)' }],
      errors: [],
    })
  })

  it('adds default-deny to shadow denials only when no permit matches', () => {
    const set = policySet(`${PERMIT_READS}\n${SHADOW}\n${INJECTION}`, 'deny')
    expect(set.evaluate(untrusted('db.read')).denials.map((d) => d.id)).toEqual(['untrusted'])
    expect(set.evaluate(untrusted('db.drop')).denials.map((d) => d.id)).toEqual(['untrusted', 'default-deny'])
    // an enforced forbid denies on its own: default-deny is not looked for
    expect(set.evaluate(injected).denials.map((d) => d.id)).toEqual(['no-injection'])
  })

  it('denies by default when the only permit fails to evaluate', () => {
    const set = policySet(`@id("p") permit (principal, action, resource) when { context.delegation_depth * 9223372036854775807 > 1 };`, 'deny')
    const verdict = set.evaluate(policyInput({ context: { delegation_depth: 2 } }))
    expect(verdict.denials.map((d) => d.id)).toEqual(['default-deny'])
    expect(verdict.errors).toHaveLength(1)
  })
})

/** Cedar's own answer with the whole input: what the cut-down requests must agree with. */
function reference(set: PolicySet, input: PolicyInput): { denied: string[]; errors: string[] } {
  const policies = Object.fromEntries(set.policies.map((p) => [p.id, p.text]))
  const answer = cedar.isAuthorized({
    principal: { type: 'Agent', id: input.principal.id },
    action: { type: 'Action', id: input.action },
    resource: { type: 'Resource', id: input.resource.id },
    context: input.context as unknown as cedar.Context,
    entities: [
      { uid: { type: 'Agent', id: input.principal.id }, attrs: { name: input.principal.name, workload: input.principal.workload }, parents: [] },
      { uid: { type: 'Resource', id: input.resource.id }, attrs: { tenant: input.resource.tenant }, parents: [] },
    ],
    policies: { staticPolicies: { ...policies, baseline: 'permit(principal, action, resource);' } },
  })
  if (answer.type === 'failure') throw new Error(answer.errors[0].message)
  const { decision, diagnostics } = answer.response
  return { denied: decision === 'deny' ? [...diagnostics.reason].sort() : [], errors: diagnostics.errors.map((e) => e.policyId).sort() }
}

describe('the request handed to Cedar', () => {
  it('decides as the whole input does, with only what the policies for the action read', async () => {
    const load = await loadPolicies([join(import.meta.dirname, '..', '..', '..', 'examples', 'policies')])
    const extra = parsePolicyText('/p/extra.cedar', `@id("whole-record") forbid (principal, action == Action::"payments.refund", resource)
  when { context.live_credentials.contains(context.credential) && context has credential.scopes && context.credential.scopes.isEmpty() };
@id("principal") forbid (principal, action, resource) when { principal.workload == "ops" && context.arguments.contains({ kind: "url", origin: "user", injected: false, source_tool: "" }) };
@id("either") forbid (principal, action == Action::"iam.attach_policy", resource) when { (if context.cross_tenant then principal else principal).name == "executor" };
@id("errors") forbid (principal, action == Action::"shell.exec", resource) when { context.delegation_depth * 4611686018427387904 > 1 };`)
    expect(load.errors).toEqual([])
    expect(extra.errors).toEqual([])
    const set = new PolicySet([...(load.policies?.policies ?? []), ...extra.policies])
    // a fixed walk over the inputs of the example tests, each varied on the attributes policies read
    let seed = 7
    const flip = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) & 1) === 1
    const inputs = load.tests.flatMap((t) => [t.input, ...['payments.refund', 'iam.attach_policy', 'shell.exec', 'crm.export'].map((action) => ({ ...t.input, action }))])
    let denied = 0
    for (const base of inputs) {
      for (let i = 0; i < 2; i++) {
        const credential = { ...base.context.credential, scopes: flip() ? [] : ['payments:write'] }
        const input: PolicyInput = {
          ...base,
          principal: { ...base.principal, workload: flip() ? 'ops' : 'web', name: flip() ? 'executor' : 'planner' },
          context: {
            ...base.context, privileged: flip(), cross_tenant: flip(), delegated: flip(), delegation_depth: flip() ? 2 : 0, credential,
            live_credentials: flip() ? [credential] : [], arguments: flip() ? [{ kind: 'url', origin: 'user', injected: false, source_tool: '' }] : [],
          },
        }
        const verdict = set.evaluate(input)
        const got = { denied: verdict.denials.map((d) => d.id).sort(), errors: verdict.errors.map((e) => e.split(':')[0]).sort() }
        expect(got, JSON.stringify(input)).toEqual(reference(set, input))
        if (got.denied.length > 0) denied++
      }
    }
    // the walk must reach both answers, often, for the comparison to mean anything
    expect(denied).toBeGreaterThan(inputs.length * 0.2)
    expect(denied).toBeLessThan(inputs.length * 1.8)
  })
})
