/**
 * `privpath rules validate`: loads a rule directory (or file) with the detector's own loader, runs
 * the inline tests quietly, and reports YAML/JSONata errors, unknown fields and kinds, duplicate
 * ids and warnings (expired or unexercised exceptions, fields never set) with file:line:col. Exit
 * code 1 when any error was found.
 */
import { formatProblem, interpretedExpressions, resolveRulesDirs, type RuleProblem, validateRules } from '../../detector/index.js'
import type { CommandIO } from './io.js'

export interface ValidateOptions {
  json?: boolean
}

export async function validateCommand(dir: string | undefined, options: ValidateOptions, io: CommandIO): Promise<number> {
  const dirs = resolveRulesDirs(dir ?? '')
  // loading, plus the inline tests run quietly: an exception no test exercises is a warning too
  const set = await validateRules(dirs)
  const ok = set.errors.length === 0
  if (options.json) {
    const problem = (p: RuleProblem) => ({ file: p.file, line: p.line, col: p.col, rule_id: p.rule_id, message: p.message })
    io.stdout.write(
      JSON.stringify({
        ok,
        dirs,
        rules: set.rules.map((r) => ({ id: r.id, file: r.file, line: r.line, interpreted: interpretedExpressions(r) })),
        errors: set.errors.map(problem),
        warnings: set.warnings.map(problem),
      }) + '\n',
    )
    return ok ? 0 : 1
  }
  for (const p of set.errors) io.stdout.write(`error: ${formatProblem(p)}\n`)
  for (const p of set.warnings) io.stdout.write(`warning: ${formatProblem(p)}\n`)
  const interpreted = set.rules.filter((r) => interpretedExpressions(r).length > 0).length
  io.stdout.write(
    `${set.rules.length} rules valid, ${set.errors.length} errors, ${set.warnings.length} warnings` +
      (interpreted > 0 ? ` (${interpreted} rules use the JSONata interpreter; --json lists the expressions)` : '') +
      '\n',
  )
  return ok ? 0 : 1
}
