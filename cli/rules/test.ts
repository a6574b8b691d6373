/**
 * `privpath rules test`: runs every inline test of the rules in a directory through the detector
 * engine and prints each failure (rule, test, expected vs actual). The last line is always
 * `N passed, M failed` (CI reads it); a rule problem that keeps a file from loading counts as one
 * failure, so a broken rule can never make the suite look green.
 */
import { formatProblem, loadRules, resolveRulesDirs, runRuleTests } from '../../detector/index.js'
import type { CommandIO } from './io.js'

export interface TestOptions {
  /** Glob over `rule-id` or `rule-id/test name`. */
  filter?: string
  verbose?: boolean
}

export async function testCommand(dir: string | undefined, options: TestOptions, io: CommandIO): Promise<number> {
  const set = await loadRules(resolveRulesDirs(dir ?? ''))
  for (const p of set.errors) io.stdout.write(`FAIL load: ${formatProblem(p)}\n`)
  const report = await runRuleTests(set.rules, { filter: options.filter })
  for (const result of report.results) {
    if (result.passed) {
      if (options.verbose) io.stdout.write(`ok   ${result.rule_id} / ${result.test}\n`)
      continue
    }
    io.stdout.write(`FAIL ${result.rule_id} / ${result.test}\n`)
    for (const failure of result.failures) io.stdout.write(`     ${failure}\n`)
  }
  for (const p of report.warnings) io.stdout.write(`warning: ${formatProblem(p)}\n`)
  const failed = report.failed + set.errors.length
  if (options.filter && report.results.length === 0) io.stdout.write(`no test matches "${options.filter}"\n`)
  io.stdout.write(`${report.passed} passed, ${failed} failed\n`)
  return failed > 0 || (options.filter !== undefined && report.results.length === 0) ? 1 : 0
}
