/**
 * Runs the inline policy tests against the whole loaded set (a deployment decides with all of its
 * policies, so that is what a test pins down). `expect` is the policies' decision, shadow ones
 * included: a shadow policy that matches decides deny (recorded, not enforced), and its tests say
 * so. A policy that fails to evaluate fails the test: it would neither allow nor deny in production.
 */
import { basename } from 'node:path'
import { globToRegExp } from '../../../core/expression/index.js'
import type { PolicyVerdict } from '../policy-input.js'
import type { PolicyLoad } from './load.js'
import type { PolicyTest } from './test-file.js'

interface PolicyTestResult {
  file: string
  test: string
  passed: boolean
  failures: string[]
  verdict: PolicyVerdict
}

export interface PolicyTestReport {
  results: PolicyTestResult[]
  passed: number
  failed: number
}

/** `<file name> / <test name>`: how results and failures name a test. */
export function policyTestLabel(test: Pick<PolicyTest, 'file' | 'name'>): string {
  return `${basename(test.file)} / ${test.name}`
}

const listed = (verdict: PolicyVerdict) =>
  verdict.denials.length === 0 ? 'none' : verdict.denials.map((d) => (d.mode === 'shadow' ? `${d.id} (shadow)` : d.id)).join(', ')

/** `filter` is a glob over `<file name>` or `<file name>/<test name>`. Nothing runs without a policy set. */
export function runPolicyTests(load: PolicyLoad, options: { filter?: string } = {}): PolicyTestReport {
  const set = load.policies
  const pattern = options.filter ? globToRegExp(options.filter) : undefined
  const results: PolicyTestResult[] = []
  if (!set) return { results, passed: 0, failed: 0 }
  for (const test of load.tests) {
    const file = basename(test.file)
    if (pattern && !pattern.test(file) && !pattern.test(`${file}/${test.name}`)) continue
    const verdict = set.evaluate(test.input)
    const where = policyTestLabel(test)
    const failures = verdict.errors.map((e) => `${where}: policy failed to evaluate: ${e}`)
    const decided = verdict.denials.length > 0 ? 'deny' : 'allow'
    if (decided !== test.expect) failures.push(`${where}: expected ${test.expect}, got ${decided} (denied by: ${listed(verdict)})`)
    for (const { id } of test.policies) {
      if (!verdict.denials.some((d) => d.id === id)) failures.push(`${where}: expected policy "${id}" to deny (denied by: ${listed(verdict)})`)
    }
    results.push({ file: test.file, test: test.name, passed: failures.length === 0, failures, verdict })
  }
  const failed = results.filter((r) => !r.passed).length
  return { results, passed: results.length - failed, failed }
}
