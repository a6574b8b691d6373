import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { captureIO, runCommand } from '../../testkit/cli.js'
import { policyDir } from '../../testkit/policies.js'
import { register } from '../commands/policies.js'
import { testPoliciesCommand } from './test.js'
import { validatePoliciesCommand } from './validate.js'

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'policies')

const capture = captureIO

const lastLine = (io: { out: () => string }) => io.out().trimEnd().split('\n').at(-1)

const broken = () =>
  policyDir({
    'guard.cedar': `@id("typo")\nforbid (principal, action, resource) when { context.injeted_seen };\n`,
    'tenancy.cedar': 'forbid (principal, action, resource) when { context.cross_tenant };',
    'guard.tests.yaml': '- { name: t, expect: deny, policies: [typo] }\n',
  })

describe('policies validate', () => {
  it('accepts the example set', async () => {
    const io = capture()
    expect(await validatePoliciesCommand(EXAMPLES, {}, io)).toBe(0)
    expect(io.out()).toMatch(/^\d+ policies valid, \d+ tests, 0 errors, 0 warnings\n$/)
  })

  it('reports each error with file:line:col and exits 1', async () => {
    const dir = await broken()
    const io = capture()
    expect(await validatePoliciesCommand(dir, {}, io)).toBe(1)
    expect(io.out().replaceAll(dir + '/', '')).toBe(
      'error: guard.cedar:2:45 [typo] Cedar: attribute `injeted_seen` in context not found (did you mean `injection_seen`?)\n' +
        '0 policies valid, 1 tests, 1 errors, 0 warnings\n',
    )
  })

  it('prints one JSON document with --json', async () => {
    const io = capture()
    expect(await validatePoliciesCommand(`${EXAMPLES},${await broken()}`, { json: true }, io)).toBe(1)
    const report = JSON.parse(io.out()) as { ok: boolean; errors: Array<{ line: number; col: number; policy_id: string }> }
    expect(report.ok).toBe(false)
    expect(report.errors).toEqual([expect.objectContaining({ line: 2, col: 45, policy_id: 'typo' })])
    const good = capture()
    await validatePoliciesCommand(EXAMPLES, { json: true }, good)
    expect(JSON.parse(good.out())).toMatchObject({ ok: true, policies: expect.arrayContaining([{ id: 'approval-after-untrusted-content', file: join(EXAMPLES, 'untrusted.cedar'), line: 3, effect: 'forbid', mode: 'shadow' }]) })
  })
})

describe('policies test', () => {
  it('runs the example tests green', async () => {
    const io = capture()
    expect(await testPoliciesCommand(EXAMPLES, {}, io)).toBe(0)
    expect(lastLine(io)).toMatch(/^\d+ passed, 0 failed$/)
  })

  it('prints each failure and exits 1; under default deny the allow tests fail', async () => {
    const io = capture()
    expect(await testPoliciesCommand(EXAMPLES, { policyDefault: 'deny', filter: 'tenancy.tests.yaml' }, io)).toBe(1)
    expect(io.out()).toContain("FAIL tenancy.tests.yaml / a call on the task's own tenant is allowed\n     tenancy.tests.yaml / a call on the task's own tenant is allowed: expected allow, got deny (denied by: default-deny)\n")
    expect(lastLine(io)).toBe('1 passed, 2 failed')
  })

  it('counts load errors as failures', async () => {
    const io = capture()
    expect(await testPoliciesCommand(await broken(), {}, io)).toBe(1)
    expect(io.out()).toContain('FAIL load: ')
    expect(lastLine(io)).toBe('0 passed, 1 failed')
  })

  it('lists passing tests with -v, and fails when --filter matches nothing', async () => {
    const io = capture()
    expect(await testPoliciesCommand(EXAMPLES, { filter: 'delegation.tests.yaml/one*', verbose: true }, io)).toBe(0)
    expect(io.out()).toBe('ok   delegation.tests.yaml / one delegation is allowed\n1 passed, 0 failed\n')
    const none = capture()
    expect(await testPoliciesCommand(EXAMPLES, { filter: 'nothing*' }, none)).toBe(1)
    expect(none.out()).toBe('no test matches "nothing*"\n0 passed, 0 failed\n')
  })
})

describe('privpath policies (command line)', () => {
  afterEach(() => {
    vi.restoreAllMocks()
    process.exitCode = undefined
  })

  const run = (...args: string[]) => runCommand(register, 'policies', ...args)

  it('wires validate and test with their arguments, --default and exit codes', async () => {
    expect(await run('validate', EXAMPLES)).toMatchObject({ code: 0 })
    expect(await run('test', EXAMPLES, '--filter', 'tenancy.tests.yaml/a target*')).toEqual({ code: 0, out: '1 passed, 0 failed\n' })
    expect(await run('test', EXAMPLES, '--default', 'deny', '--filter', 'tenancy.tests.yaml/a target*')).toMatchObject({ code: 1 })
  })

  it('rejects a --default other than allow or deny, and a missing directory argument', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    await expect(run('test', EXAMPLES, '--default', 'maybe')).rejects.toThrow(/allow, deny/)
    await expect(run('validate')).rejects.toThrow(/dir/)
  })
})
