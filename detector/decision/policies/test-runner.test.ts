import { describe, expect, it } from 'vitest'
import { policyDir } from '../../../testkit/policies.js'
import { loadPolicies } from './load.js'
import { runPolicyTests } from './test-runner.js'

const POLICIES = `@id("no-injection")
forbid (principal, action, resource) when { context.privileged && context.arguments_injected };
@id("untrusted") @mode("shadow")
forbid (principal, action, resource) when { context.untrusted_content_seen };
@id("overflow")
forbid (principal, action == Action::"math", resource) when { context.delegation_depth * 9223372036854775807 > 1 };
`

async function run(tests: string, filter?: string) {
  const load = await loadPolicies([await policyDir({ 'guard.cedar': POLICIES, 'guard.tests.yaml': tests })])
  expect(load.errors).toEqual([])
  return runPolicyTests(load, { filter })
}

describe('runPolicyTests', () => {
  it('passes tests whose decision and denying policies match, shadow denials included', async () => {
    const report = await run(`- name: injected
  input: { context: { privileged: true, arguments_injected: true } }
  expect: deny
  policies: [no-injection]
- name: shadow decides deny
  input: { context: { untrusted_content_seen: true } }
  expect: deny
  policies: [untrusted]
- name: clean
  expect: allow
`)
    expect(report.results.map((r) => [r.test, r.passed])).toEqual([['injected', true], ['shadow decides deny', true], ['clean', true]])
    expect(report).toMatchObject({ passed: 3, failed: 0 })
  })

  it('fails with the expected and actual decision and the policies that denied', async () => {
    const report = await run(`- name: wrong decision
  input: { context: { privileged: true, arguments_injected: true, untrusted_content_seen: true } }
  expect: allow
- name: wrong policy
  input: { context: { untrusted_content_seen: true } }
  expect: deny
  policies: [no-injection]
- name: not denied
  expect: deny
`)
    expect(report).toMatchObject({ passed: 0, failed: 3 })
    expect(report.results.flatMap((r) => r.failures)).toEqual([
      'guard.tests.yaml / wrong decision: expected allow, got deny (denied by: no-injection, untrusted (shadow))',
      'guard.tests.yaml / wrong policy: expected policy "no-injection" to deny (denied by: untrusted (shadow))',
      'guard.tests.yaml / not denied: expected deny, got allow (denied by: none)',
    ])
  })

  it('fails a test in which a policy cannot be evaluated', async () => {
    const report = await run(`- name: overflow
  input: { action: math, context: { delegation_depth: 3 } }
  expect: allow
`)
    expect(report.failed).toBe(1)
    expect(report.results[0].failures).toEqual([expect.stringMatching(/^guard\.tests\.yaml \/ overflow: policy failed to evaluate: overflow: .*overflow/)])
  })

  it('runs only the tests a glob over file or file/test matches', async () => {
    const tests = `- { name: first one, expect: allow }\n- { name: second, expect: allow }\n`
    expect((await run(tests, 'guard.tests.yaml/sec*')).results.map((r) => r.test)).toEqual(['second'])
    expect((await run(tests, 'guard.*')).results).toHaveLength(2)
    expect((await run(tests, 'other.tests.yaml')).results).toHaveLength(0)
  })

  it('runs nothing without a policy set', async () => {
    const load = await loadPolicies([await policyDir({ 'a.cedar': 'forbid (', 'a.tests.yaml': '- { name: t, expect: allow }\n' })])
    expect(load.policies).toBeNull()
    expect(runPolicyTests(load)).toEqual({ results: [], passed: 0, failed: 0 })
  })
})
