/**
 * The rule files in the repository through the loader: the built-in pack and the good fixture
 * load clean, the broken fixtures report exactly what the hand-written checker reported before
 * the rule schema replaced it (captured output, paths relative to the directory).
 */
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtinRulesDir, loadRules } from './load.js'
import type { RuleProblem } from './types.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures')
const NOW = Date.parse('2026-06-01T00:00:00Z')

interface Expected {
  rules: string[]
  errors: string[]
  warnings: string[]
}

const PACK_IDS = [
  'action-after-deny', 'approval-bypass', 'clock-skew', 'credential-cross-tenant-use', 'credential-not-revoked-at-task-end',
  'credential-reused-beyond-task', 'credential-used-after-expiry', 'credential-used-after-revocation',
  'credential-used-after-task-end', 'credential-workload-mismatch', 'cross-tenant-tool-routing',
  'delegation-scope-escalation', 'injection-attempt-in-tool-result', 'new-delegation-edge', 'new-mcp-server-for-agent',
  'new-tool-for-agent', 'privileged-call-steered-by-injection',
  'privileged-call-untrusted-target', 'privileged-tool-without-allow', 'privileged-tool-without-policy', 'secret-in-content',
  'standing-privilege', 'telemetry-gap', 'tenant-spoofing', 'token-in-content', 'tool-call-burst', 'tool-call-steered-by-injection',
  'tool-definition-changed', 'untrusted-output-to-privileged-tool',
]

const DIRS: Array<[name: string, dir: string, expected: Expected]> = [
  ['the built-in pack', builtinRulesDir(), { rules: PACK_IDS, errors: [], warnings: [] }],
  ['rules-good', join(FIXTURES, 'rules-good'), {
    rules: ['fixture-foreign-tenant'],
    errors: [],
    warnings: [
      'tool-on-foreign-tenant.yaml:14:14 [fixture-foreign-tenant] exception "old-migration" expired on 2020-01-01T00:00:00Z; it no longer applies',
    ],
  }],
  ['rules-broken', join(FIXTURES, 'rules-broken'), {
    rules: ['fixture-duplicate'],
    errors: [
      'bad-jsonata.yaml:8:29 [fixture-bad-jsonata] when: JSONata: Expected ")" before end of expression',
      'bad-yaml.yaml:5:1 [] YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'unknown-field-and-kind.yaml:4:1 [fixture-unknown-field] unknown field "severty" in rule (allowed: id, title, description, severity, category, status, on, when, hold, enforce, enforce_mode, summary, dedup, exceptions, frameworks, runbook, tags, tests, threshold, sequence, absence)',
      'unknown-field-and-kind.yaml:7:6 [fixture-unknown-field] unknown event kind "tool_call"',
      'duplicate-b.yaml:1:1 [fixture-duplicate] duplicate rule id "fixture-duplicate" (first defined in duplicate-a.yaml:1)',
    ],
    warnings: [],
  }],
]

describe('rule files in the repository', () => {
  it.each(DIRS)('%s reports the same rules and problems as before', async (_name, dir, expected) => {
    const set = await loadRules(dir, { now: NOW })
    const show = (p: RuleProblem) => `${relative(dir, p.file)}:${p.line}:${p.col} [${p.rule_id}] ${p.message.replaceAll(`${dir}/`, '')}`
    expect({ rules: set.rules.map((r) => r.id), errors: set.errors.map(show), warnings: set.warnings.map(show) }).toEqual(expected)
  })
})
