/**
 * `privpath policies validate`: loads Cedar policy directories (or files) with the decision
 * engine's own loader and reports syntax, annotation and schema errors, the validator's warnings
 * and inline test file errors with file:line:col. Exit code 1 when any error was found.
 */
import { formatProblem, type RuleProblem } from '../../detector/index.js'
import { loadPolicies, type PolicyDefault } from '../../detector/decision/policies/index.js'
import type { CommandIO } from '../rules/io.js'

export interface PolicyCommandOptions {
  /** decision.policy_default: what a call no policy permits gets. */
  policyDefault?: PolicyDefault
}

export function policyDirs(dirs: string): string[] {
  return dirs.split(',').map((d) => d.trim()).filter(Boolean)
}

export async function validatePoliciesCommand(dirs: string, options: PolicyCommandOptions & { json?: boolean }, io: CommandIO): Promise<number> {
  const load = await loadPolicies(policyDirs(dirs), { policyDefault: options.policyDefault })
  const ok = load.errors.length === 0
  if (options.json) {
    const problem = (p: RuleProblem) => ({ file: p.file, line: p.line, col: p.col, policy_id: p.rule_id, message: p.message })
    const policies = (load.policies?.policies ?? []).map((p) => ({ id: p.id, file: p.file, line: p.line, effect: p.effect, mode: p.mode }))
    io.stdout.write(JSON.stringify({ ok, policies, tests: load.tests.length, errors: load.errors.map(problem), warnings: load.warnings.map(problem) }) + '\n')
    return ok ? 0 : 1
  }
  for (const p of load.errors) io.stdout.write(`error: ${formatProblem(p)}\n`)
  for (const p of load.warnings) io.stdout.write(`warning: ${formatProblem(p)}\n`)
  io.stdout.write(`${load.policies?.size ?? 0} policies valid, ${load.tests.length} tests, ${load.errors.length} errors, ${load.warnings.length} warnings\n`)
  return ok ? 0 : 1
}
