/**
 * `privpath rules validate`: loads a rule directory (or file) with the detector's own loader and
 * reports YAML/JSONata errors, unknown fields and kinds, duplicate ids and warnings with
 * file:line:col. Exit code 1 when any error was found.
 */
import { formatProblem, loadRules, resolveRulesDirs } from '../../detector/rules/load.js'
import type { Rule, RuleProblem } from '../../detector/rules/types.js'
import type { CommandIO } from './io.js'

export interface ValidateOptions {
  json?: boolean
}

/** Expressions that fall back to the JSONata interpreter (slower, async): worth knowing for hot rules. */
function interpretedExpressions(rule: Rule): string[] {
  const found: string[] = []
  const check = (name: string, expr: { sync: unknown } | undefined) => {
    if (expr && !expr.sync) found.push(name)
  }
  check('when', rule.when)
  check('summary', rule.summary)
  check('dedup.key', rule.dedup.key)
  rule.exceptions.forEach((e) => check(`exceptions.${e.name}.when`, e.when))
  const c = rule.correlation
  if (c.type === 'threshold') check('threshold.group_by', c.groupBy)
  if (c.type === 'sequence') {
    check('sequence.by', c.by)
    c.steps.forEach((s, i) => check(`sequence.steps[${i}].when`, s.when))
  }
  if (c.type === 'absence') {
    check('absence.by', c.by)
    check('absence.after.when', c.after.when)
    check('absence.expect.when', c.expect.when)
  }
  return found
}

export async function validateCommand(dir: string | undefined, options: ValidateOptions, io: CommandIO): Promise<number> {
  const dirs = resolveRulesDirs(dir ?? '')
  const set = await loadRules(dirs)
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
