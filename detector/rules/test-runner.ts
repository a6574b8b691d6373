/**
 * Runs a rule's inline tests through the real engine (only that rule loaded, the test's config
 * overrides applied), then advances time past every open window so absences fire, and compares
 * the alerts raised with `expect`. Failures name the rule, the test, expected and actual.
 */
import type { Alert } from '../../core/alert.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { detectorConfig, type DetectorConfig } from '../config.js'
import { DetectorEngine } from '../engine/engine.js'
import { globToRegExp } from '../../core/expression/index.js'
import type { Rule, RuleProblem, RuleTest, RuleTestExpectation } from './types.js'

export interface RuleTestResult {
  rule_id: string
  test: string
  passed: boolean
  failures: string[]
  /** Final version of each alert raised, in order of first raise. */
  alerts: Alert[]
  /** Exceptions (by name) that suppressed a firing during this test. */
  exceptionsHit: string[]
}

export interface RuleTestReport {
  results: RuleTestResult[]
  passed: number
  failed: number
  /** Exceptions no inline test of their rule exercises. */
  warnings: RuleProblem[]
}

const END_OF_TIME = Number.MAX_SAFE_INTEGER

export async function runRuleTest(rule: Rule, test: RuleTest, base: Partial<DetectorConfig> = {}): Promise<RuleTestResult> {
  const config = detectorConfig({ ...base, ...(test.config as Partial<DetectorConfig>) })
  const engine = new DetectorEngine({ rules: [rule], config, telemetry: silentTelemetry(), clock: () => 0 })
  const latest = new Map<string, Alert>()
  const failures: string[] = []
  try {
    for (const alert of await engine.processBatch(test.events)) latest.set(alert.alert_id, alert)
    for (const alert of await engine.advance(END_OF_TIME)) latest.set(alert.alert_id, alert)
  } catch (error) {
    failures.push(`engine failed: ${(error as Error).message}`)
  }
  const alerts = [...latest.values()]
  const where = `${rule.id} / ${test.name}`
  if (alerts.length !== test.expect.length) {
    failures.push(
      `${where}: expected ${test.expect.length} alert(s), got ${alerts.length}` +
        (alerts.length > 0 ? `: ${alerts.map((a) => JSON.stringify({ count: a.count, summary: a.summary, task_id: a.task_id })).join('; ')}` : ''),
    )
  }
  test.expect.forEach((expected, i) => {
    const actual = alerts[i]
    if (actual) failures.push(...compare(where, i, expected, actual))
  })
  const exceptionsHit = rule.exceptions
    .filter((e) => (engine.exceptionHits().get(`${rule.id}\u0000${e.name}`) ?? 0) > 0)
    .map((e) => e.name)
  return { rule_id: rule.id, test: test.name, passed: failures.length === 0, failures, alerts, exceptionsHit }
}

function compare(where: string, index: number, expected: RuleTestExpectation, actual: Alert): string[] {
  const out: string[] = []
  const check = (field: string, want: unknown, got: unknown): void => {
    if (want !== undefined && want !== got) out.push(`${where}: alert ${index + 1} ${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
  }
  check('count', expected.count, actual.count)
  check('summary', expected.summary, actual.summary)
  check('task_id', expected.task_id, actual.task_id)
  check('severity', expected.severity, actual.severity)
  check('category', expected.category, actual.category)
  if (expected.summary_contains !== undefined && !actual.summary.includes(expected.summary_contains)) {
    out.push(`${where}: alert ${index + 1} summary: expected to contain ${JSON.stringify(expected.summary_contains)}, got ${JSON.stringify(actual.summary)}`)
  }
  return out
}

/** `filter` is a glob over `rule-id` or `rule-id/test name`. */
export async function runRuleTests(
  rules: Rule[],
  options: { filter?: string; config?: Partial<DetectorConfig> } = {},
): Promise<RuleTestReport> {
  const pattern = options.filter ? globToRegExp(options.filter) : undefined
  const results: RuleTestResult[] = []
  const warnings: RuleProblem[] = []
  for (const rule of rules) {
    const hit = new Set<string>()
    let ranAll = true
    for (const test of rule.tests) {
      if (pattern && !pattern.test(rule.id) && !pattern.test(`${rule.id}/${test.name}`)) {
        ranAll = false
        continue
      }
      const result = await runRuleTest(rule, test, options.config)
      result.exceptionsHit.forEach((n) => hit.add(n))
      results.push(result)
    }
    if (!ranAll) continue
    for (const exception of rule.exceptions) {
      if (!hit.has(exception.name)) {
        warnings.push({
          file: rule.file, line: rule.line, col: 1, rule_id: rule.id,
          message: `exception "${exception.name}" is never exercised by the rule's tests (unused?)`,
        })
      }
    }
  }
  const failed = results.filter((r) => !r.passed).length
  return { results, passed: results.length - failed, failed, warnings }
}
