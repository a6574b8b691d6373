import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { captureIO, runCommand } from '../../testkit/cli.js'
import { register } from '../commands/rules.js'
import { testCommand } from './test.js'
import { validateCommand } from './validate.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures')
const GOOD = join(FIXTURES, 'rules-good')
const BROKEN = join(FIXTURES, 'rules-broken')
const FAILING = join(FIXTURES, 'rules-failing')

const capture = captureIO

const rel = (text: string) => text.replaceAll(FIXTURES + '/', '')

describe('rules validate', () => {
  it('accepts the built-in pack with no errors or warnings', async () => {
    const io = capture()
    expect(await validateCommand(undefined, {}, io)).toBe(0)
    expect(io.out()).toMatch(/^29 rules valid, 0 errors, 0 warnings/m)
  })

  it('accepts a valid directory and still reports its warnings', async () => {
    const io = capture()
    expect(await validateCommand(GOOD, {}, io)).toBe(0)
    expect(rel(io.out())).toContain('warning: rules-good/tool-on-foreign-tenant.yaml:')
    expect(io.out()).toContain('exception "old-migration" expired')
    // the inline tests run quietly too, so an exception no test exercises is reported (docs/rules.md)
    expect(io.out()).toContain('exception "old-migration" is never exercised by the rule\'s tests')
    expect(io.out()).toMatch(/1 rules valid, 0 errors, 2 warnings/)
  })

  it('reports every broken file with file:line:col and exits 1', async () => {
    const io = capture()
    expect(await validateCommand(BROKEN, {}, io)).toBe(1)
    const out = rel(io.out())
    expect(out).toContain('error: rules-broken/bad-yaml.yaml:5:1 YAML:')
    expect(out).toContain('error: rules-broken/bad-jsonata.yaml:8:29 [fixture-bad-jsonata] when: JSONata:')
    expect(out).toContain('error: rules-broken/unknown-field-and-kind.yaml:4:1 [fixture-unknown-field] unknown field "severty"')
    expect(out).toContain('error: rules-broken/unknown-field-and-kind.yaml:7:6 [fixture-unknown-field] unknown event kind "tool_call"')
    expect(out).toContain('error: rules-broken/duplicate-b.yaml:1:1 [fixture-duplicate] duplicate rule id "fixture-duplicate"')
    expect(out).toMatch(/5 errors/)
  })

  it('prints one JSON document with --json', async () => {
    const io = capture()
    expect(await validateCommand(BROKEN, { json: true }, io)).toBe(1)
    const report = JSON.parse(io.out()) as { ok: boolean; errors: Array<{ file: string; line: number; col: number }>; rules: Array<{ id: string }> }
    expect(report.ok).toBe(false)
    expect(report.errors).toHaveLength(5)
    expect(report.errors.find((e) => e.file.endsWith('bad-jsonata.yaml'))).toMatchObject({ line: 8, col: 29 })
    const good = capture()
    expect(await validateCommand(GOOD, { json: true }, good)).toBe(0)
    expect(JSON.parse(good.out())).toMatchObject({ ok: true, rules: [{ id: 'fixture-foreign-tenant', interpreted: [] }] })
  })
})

describe('rules test', () => {
  it('runs the whole built-in pack green', async () => {
    const io = capture()
    expect(await testCommand(undefined, {}, io)).toBe(0)
    const last = io.out().trimEnd().split('\n').at(-1)!
    expect(last).toMatch(/^\d+ passed, 0 failed$/)
    expect(Number(last.split(' ')[0])).toBeGreaterThanOrEqual(90)
  })

  it('prints each failure with rule, test, expected and actual, and exits 1', async () => {
    const io = capture()
    expect(await testCommand(FAILING, {}, io)).toBe(1)
    const out = io.out()
    expect(out).toContain('FAIL fixture-wrong-expectation / expects a firing that does not happen')
    expect(out).toContain('expected 1 alert(s), got 0')
    expect(out).toContain('FAIL fixture-wrong-expectation / expects silence but the rule fires')
    expect(out).toContain('expected 0 alert(s), got 1: {"count":1,"summary":"ran shell.exec","task_id":"t1"}')
    expect(out).not.toContain('FAIL fixture-wrong-expectation / passes')
    expect(out.trimEnd().split('\n').at(-1)).toBe('1 passed, 2 failed')
  })

  it('counts rule files that do not load as failures', async () => {
    const io = capture()
    expect(await testCommand(BROKEN, {}, io)).toBe(1)
    expect(io.out()).toContain('FAIL load: ')
    expect(io.out().trimEnd().split('\n').at(-1)).toBe('0 passed, 5 failed')
  })

  it('runs only the tests matching --filter, and fails when nothing matches', async () => {
    const io = capture()
    expect(await testCommand(FAILING, { filter: 'fixture-wrong-expectation/passes', verbose: true }, io)).toBe(0)
    expect(io.out()).toBe('ok   fixture-wrong-expectation / passes\n1 passed, 0 failed\n')
    const none = capture()
    expect(await testCommand(GOOD, { filter: 'nothing-*' }, none)).toBe(1)
    expect(none.out()).toContain('no test matches "nothing-*"')
  })
})

describe('privpath rules (command line)', () => {
  afterEach(() => {
    vi.restoreAllMocks()
    process.exitCode = undefined
  })

  const run = (...args: string[]) => runCommand(register, 'rules', ...args)

  it('wires validate and test with their arguments and exit codes', async () => {
    expect(await run('validate', GOOD)).toMatchObject({ code: 0 })
    expect((await run('validate', BROKEN, '--json')).code).toBe(1)
    const tested = await run('test', FAILING, '--filter', 'fixture-wrong-expectation/passes')
    expect(tested).toEqual({ code: 0, out: '1 passed, 0 failed\n' })
  })

  it('requires --from for replay', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    await expect(run('replay')).rejects.toThrow(/--from/)
  })
})
