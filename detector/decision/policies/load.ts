/**
 * Loads decision policies: every `*.cedar` file of the given directories (or a file itself), and
 * every `*.tests.yaml` beside them. Problems carry file:line:col and read like rule problems
 * (detector/rules formatProblem; `rule_id` holds the policy id). A load with any error has no
 * policy set: the caller keeps the one it has.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { RuleProblem } from '../../rules/types.js'
import { parsePolicyText } from './parse.js'
import { PolicySet, type LoadedPolicy, type PolicyDefault } from './policy-set.js'
import { parsePolicyTests, type PolicyTest } from './test-file.js'

export interface PolicyLoadOptions {
  /** `decision.policy_default`: 'allow' (default) adds an implicit permit, so only forbids deny. */
  policyDefault?: PolicyDefault
}

export interface PolicyLoad {
  /** Null when there are errors. */
  policies: PolicySet | null
  errors: RuleProblem[]
  warnings: RuleProblem[]
  /** The inline tests, for runPolicyTests. */
  tests: PolicyTest[]
}

const TESTS_SUFFIX = '.tests.yaml'

/** Is `name` a file loadPolicies reads (the watcher reloads on these only)? */
export function isPolicyFile(name: string): boolean {
  return name.endsWith('.cedar') || name.endsWith(TESTS_SUFFIX)
}

async function policyFiles(dir: string): Promise<string[]> {
  if ((await stat(dir)).isFile()) return [dir]
  const entries = await readdir(dir, { withFileTypes: true })
  return entries.filter((e) => e.isFile() && isPolicyFile(e.name)).map((e) => join(dir, e.name)).sort()
}

export async function loadPolicies(dirs: readonly string[], options: PolicyLoadOptions = {}): Promise<PolicyLoad> {
  const policies: LoadedPolicy[] = []
  const errors: RuleProblem[] = []
  const warnings: RuleProblem[] = []
  const tests: PolicyTest[] = []
  // with a policy file broken, its ids are unknown: tests naming them are not wrong
  let policiesComplete = true
  for (const dir of dirs) {
    let files: string[]
    try {
      files = await policyFiles(dir)
    } catch (error) {
      errors.push({ file: dir, line: 0, col: 0, rule_id: '', message: `cannot read policies: ${(error as Error).message}` })
      policiesComplete = false
      continue
    }
    for (const file of files) {
      const text = await readFile(file, 'utf8')
      if (file.endsWith(TESTS_SUFFIX)) {
        const parsed = parsePolicyTests(file, text)
        tests.push(...parsed.tests)
        errors.push(...parsed.errors)
        continue
      }
      const parsed = parsePolicyText(file, text)
      policies.push(...parsed.policies)
      errors.push(...parsed.errors)
      if (parsed.errors.length > 0) policiesComplete = false
      warnings.push(...parsed.warnings)
    }
  }
  const first = new Map<string, LoadedPolicy>()
  for (const policy of policies) {
    const earlier = first.get(policy.id)
    if (earlier) {
      errors.push({
        file: policy.file, line: policy.line, col: 1, rule_id: policy.id,
        message: `duplicate policy id "${policy.id}" (first defined in ${earlier.file}:${earlier.line})`,
      })
    } else first.set(policy.id, policy)
  }
  // a test naming a policy that does not exist could never fail on it
  if (policiesComplete) {
    for (const test of tests) {
      for (const named of test.policies) {
        if (!first.has(named.id)) {
          errors.push({ file: test.file, line: named.line, col: named.col, rule_id: '', message: `test "${test.name}": unknown policy id "${named.id}"` })
        }
      }
    }
  }
  const set = errors.length === 0 ? new PolicySet(policies, { policyDefault: options.policyDefault }) : null
  return { policies: set, errors, warnings, tests }
}

