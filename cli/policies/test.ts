/**
 * `privpath policies test`: runs the inline tests (`*.tests.yaml`) of Cedar policy directories
 * against the loaded set and prints each failure. The last line is always `N passed, M failed`
 * (CI reads it); a load error counts as a failure, so a broken policy never looks green.
 */
import { formatProblem } from '../../detector/index.js'
import { loadPolicies, policyTestLabel, runPolicyTests } from '../../detector/decision/policies/index.js'
import type { CommandIO } from '../rules/io.js'
import { policyDirs, type PolicyCommandOptions } from './validate.js'

export interface PolicyTestOptions extends PolicyCommandOptions {
  /** Glob over `<file name>` or `<file name>/<test name>`. */
  filter?: string
  verbose?: boolean
}

export async function testPoliciesCommand(dirs: string, options: PolicyTestOptions, io: CommandIO): Promise<number> {
  const load = await loadPolicies(policyDirs(dirs), { policyDefault: options.policyDefault })
  for (const p of load.errors) io.stdout.write(`FAIL load: ${formatProblem(p)}\n`)
  const report = runPolicyTests(load, { filter: options.filter })
  for (const result of report.results) {
    if (result.passed) {
      if (options.verbose) io.stdout.write(`ok   ${policyTestLabel({ file: result.file, name: result.test })}\n`)
      continue
    }
    io.stdout.write(`FAIL ${policyTestLabel({ file: result.file, name: result.test })}\n`)
    for (const failure of result.failures) io.stdout.write(`     ${failure}\n`)
  }
  const failed = report.failed + load.errors.length
  const unmatched = options.filter !== undefined && report.results.length === 0 && load.errors.length === 0
  if (unmatched) io.stdout.write(`no test matches "${options.filter}"\n`)
  io.stdout.write(`${report.passed} passed, ${failed} failed\n`)
  return failed > 0 || unmatched ? 1 : 0
}
