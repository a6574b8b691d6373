/**
 * `validateRules`: loading plus the checks that need the engine: runs every inline test quietly
 * to warn about exceptions no test exercises, and lists expressions that fall back to the
 * JSONata interpreter (slower, async).
 */
import type { DetectorConfig } from '../config.js'
import { loadRules, type LoadOptions } from './load.js'
import { runRuleTests } from './test-runner.js'
import type { Rule, RuleSet } from './types.js'

export interface ValidationReport extends RuleSet {
  /** `rule-id: field` of every expression evaluated by the interpreter instead of compiled code. */
  interpreted: string[]
}

/** The fields of a rule whose expressions fall back to the JSONata interpreter (slower, async): worth knowing for hot rules. */
export function interpretedExpressions(rule: Rule): string[] {
  const c = rule.correlation
  const named: Array<[string, { sync: unknown } | undefined]> = [
    ['when', rule.when],
    ['summary', rule.summary],
    ['dedup.key', rule.dedup.key],
    ...rule.exceptions.map((e): [string, { sync: unknown }] => [`exceptions.${e.name}.when`, e.when]),
  ]
  if (c.type === 'threshold') named.push(['threshold.group_by', c.groupBy])
  if (c.type === 'sequence') {
    named.push(['sequence.by', c.by])
    c.steps.forEach((s, i) => named.push([`sequence.steps[${i}].when`, s.when]))
  }
  if (c.type === 'absence') named.push(['absence.by', c.by], ['absence.after.when', c.after.when], ['absence.expect.when', c.expect.when])
  return named.filter(([, e]) => e !== undefined && !e.sync).map(([field]) => field)
}

export async function validateRules(
  dirs: string | string[],
  options: LoadOptions & { config?: Partial<DetectorConfig> } = {},
): Promise<ValidationReport> {
  const set = await loadRules(dirs, options)
  const tests = await runRuleTests(set.rules, { config: options.config })
  return {
    ...set,
    warnings: [...set.warnings, ...tests.warnings],
    interpreted: set.rules.flatMap((rule) => interpretedExpressions(rule).map((field) => `${rule.id}: ${field}`)),
  }
}
