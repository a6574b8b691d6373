import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { policyDir } from '../../../testkit/policies.js'
import { formatProblem } from '../../rules/load.js'
import { loadPolicies } from './load.js'

const GUARD = `@id("no-injection")
forbid (principal, action, resource) when { context.privileged && context.arguments_injected };
`

describe('loadPolicies', () => {
  it('loads the .cedar files and inline tests of several directories, ignoring other files', async () => {
    const a = await policyDir({ 'guard.cedar': GUARD, 'guard.tests.yaml': '- { name: t, expect: allow }\n', 'notes.md': '# x', 'other.yaml': 'x: 1' })
    const b = await policyDir({ 'tenancy.cedar': 'forbid (principal, action, resource) when { context.cross_tenant };' })
    const load = await loadPolicies([a, b])
    expect(load.errors).toEqual([])
    expect(load.policies?.ids()).toEqual(['no-injection', 'tenancy.cedar#1'])
    expect(load.policies?.size).toBe(2)
    expect(load.tests.map((t) => [t.name, t.expect])).toEqual([['t', 'allow']])
  })

  it('has no policy set when any file has an error, and formats problems like rule problems', async () => {
    const dir = await policyDir({ 'a.cedar': GUARD, 'b.cedar': 'forbid (principal, action, resource) when { context.injeted_seen };' })
    const load = await loadPolicies([dir])
    expect(load.policies).toBeNull()
    expect(load.errors.map(formatProblem)).toEqual([
      `${dir}/b.cedar:1:45 [b.cedar#1] Cedar: attribute \`injeted_seen\` in context not found (did you mean \`injection_seen\`?)`,
    ])
  })

  it('rejects an id defined twice, pointing at the second', async () => {
    const dir = await policyDir({ 'a.cedar': GUARD, 'b.cedar': `// again\n${GUARD}` })
    const { errors } = await loadPolicies([dir])
    expect(errors).toEqual([
      { file: join(dir, 'b.cedar'), line: 2, col: 1, rule_id: 'no-injection', message: `duplicate policy id "no-injection" (first defined in ${join(dir, 'a.cedar')}:1)` },
    ])
  })

  it('reports a directory it cannot read', async () => {
    const { policies, errors } = await loadPolicies(['/nonexistent/policies'])
    expect(policies).toBeNull()
    expect(errors[0]).toMatchObject({ file: '/nonexistent/policies', message: expect.stringMatching(/^cannot read policies: /) })
  })

  it('loads a single file, and an empty set from no files', async () => {
    const dir = await policyDir({ 'a.cedar': GUARD })
    expect((await loadPolicies([join(dir, 'a.cedar')])).policies?.ids()).toEqual(['no-injection'])
    const empty = await loadPolicies([await policyDir({})])
    expect(empty.errors).toEqual([])
    expect(empty.policies?.size).toBe(0)
  })
})

describe('inline policy tests', () => {
  it('checks every attribute of a test input against PolicyInput, at its position', async () => {
    const dir = await policyDir({
      'a.cedar': GUARD,
      'a.tests.yaml': `- name: typo
  input:
    actoin: db.drop
    context:
      privilegd: true
      delegation_depth: "2"
      arguments: [{ kind: 1 }]
      credential: { scopes: read }
  expect: maybe
- expect: deny
  extra: 1
`,
    })
    const { policies, errors } = await loadPolicies([dir])
    expect(policies).toBeNull()
    expect(errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual([
      '3:5 test "typo": unknown field "actoin" in input (allowed: principal, action, resource, context)',
      expect.stringMatching(/^5:7 test "typo": unknown attribute "privilegd" in input\.context \(allowed: task_id, trace_id, .*, delegated_scopes\)$/),
      '6:25 test "typo": input.context.delegation_depth must be an integer',
      '7:27 test "typo": input.context.arguments[0].kind must be a string',
      '8:29 test "typo": input.context.credential.scopes must be a list',
      '9:11 test "typo": expect must be allow or deny',
      '10:3 name is required and must be a non-empty string',
      '11:3 unknown field "extra" in test (allowed: name, input, expect, policies)',
    ])
  })

  it('rejects a test naming a policy that does not exist, and duplicate test names', async () => {
    const dir = await policyDir({
      'a.cedar': GUARD,
      'a.tests.yaml': `- name: t
  expect: deny
  policies: [no-injection, no-injecton]
- name: t
  expect: allow
`,
    })
    const { errors } = await loadPolicies([dir])
    expect(errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual(['4:9 duplicate test name "t"', '3:28 test "t": unknown policy id "no-injecton"'])
  })

  it('rejects a file that is not a list of tests, and YAML errors at their line', async () => {
    const dir = await policyDir({ 'a.tests.yaml': 'name: t\nexpect: deny\n', 'b.tests.yaml': '- name: [t\n' })
    const { errors } = await loadPolicies([dir])
    expect(errors.map((e) => [e.file.slice(dir.length + 1), e.line, e.message.split(':')[0]])).toEqual([
      ['a.tests.yaml', 1, 'a policy test file must be a list of tests { name, input, expect, policies? }'],
      ['b.tests.yaml', 2, 'YAML'],
    ])
  })

  it('fills what an input leaves out with defaults, deriving what the engine derives', async () => {
    const dir = await policyDir({
      'a.tests.yaml': `- name: t
  input:
    action: payments.transfer
    context:
      tenant: acme
      target_resource: "crm://globex/x"
      target_tenant: globex
      credential: { id: c1 }
      arguments: [{ kind: iban }]
  expect: allow
`,
    })
    const { tests, errors } = await loadPolicies([dir])
    expect(errors).toEqual([])
    const { input } = tests[0]
    expect(input.principal).toEqual({ id: 'test-agent', name: '', workload: '' })
    expect(input.resource).toEqual({ id: 'crm://globex/x', tenant: 'globex' })
    expect(input.context).toMatchObject({
      tool: 'payments.transfer', cross_tenant: true, has_credential: true, privileged: false, delegation_depth: 0, approvals_granted: [],
      credential: { id: 'c1', scopes: [], ttl_ms: -1, task_id: '', revoked: false, expired: false, task_ended: false },
      arguments: [{ kind: 'iban', origin: 'unknown', injected: false, source_tool: '' }],
    })
  })
})
