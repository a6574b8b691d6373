/**
 * The built-in pack as a test suite: it loads without errors or warnings, every rule is complete
 * (positive and negative tests, frameworks with real ids, a runbook), docs/frameworks.md matches
 * the rules, and every inline test passes through the real engine, one vitest case per test.
 */
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadRules } from '../detector/rules/load.js'
import type { Rule } from '../detector/rules/types.js'
import { runRuleTest, runRuleTests } from '../detector/rules/test-runner.js'
import { ev } from '../testkit/detector.js'

const RULES_DIR = import.meta.dirname
const pack = await loadRules(RULES_DIR, { now: Date.parse('2026-11-24T00:00:00Z') })

const FRAMEWORK_ID: Record<string, RegExp> = {
  owasp_agentic: /^ASI(0[1-9]|10)$/,
  maestro: /^L[1-7]$/,
  owasp_nhi: /^NHI([1-9]|10)$/,
  mitre_atlas: /^AML\.T\d{4}(\.\d{3})?$/,
}

/** Detector settings whose empty default makes rules fall back to built-in patterns. */
const DEFAULTED_SETTINGS = ['privileged_tools', 'untrusted_output_tools', 'approval_required_tools', 'max_credential_ttl_s']

function expressionSources(rule: Rule): string[] {
  const c = rule.correlation
  const steps = c.type === 'sequence' ? c.steps : c.type === 'absence' ? [c.after, c.expect] : []
  return [rule.when, rule.summary, ...steps.map((s) => s.when), ...rule.exceptions.map((e) => e.when)]
    .filter((e) => e !== undefined)
    .map((e) => e.source)
}

describe('built-in rule pack', () => {
  it('loads with no errors and no warnings', () => {
    expect(pack.errors).toEqual([])
    expect(pack.warnings).toEqual([])
    expect(pack.rules.length).toBeGreaterThanOrEqual(18)
  })

  it('keeps one rule per file, named after its id', () => {
    for (const rule of pack.rules) expect(basename(rule.file)).toBe(`${rule.id}.yaml`)
  })

  for (const rule of pack.rules) {
    describe(rule.id, () => {
      it('has positive and negative tests, frameworks with real ids and a runbook', () => {
        expect(rule.tests.filter((t) => t.expect.length > 0).length).toBeGreaterThanOrEqual(1)
        expect(rule.tests.filter((t) => t.expect.length === 0).length).toBeGreaterThanOrEqual(1)
        expect(rule.runbook.trim()).not.toBe('')
        expect(rule.frameworks.length).toBeGreaterThan(0)
        for (const tagged of rule.frameworks) {
          const [scheme, id] = tagged.split(':')
          expect(FRAMEWORK_ID[scheme], tagged).toBeDefined()
          expect(id, tagged).toMatch(FRAMEWORK_ID[scheme])
        }
      })

      it('tests every defaulted setting it reads both at its default and configured', () => {
        const sources = expressionSources(rule).join('\n')
        for (const setting of DEFAULTED_SETTINGS.filter((s) => sources.includes(`config.${s}`))) {
          expect(rule.tests.some((t) => setting in t.config), `${setting} configured`).toBe(true)
          expect(rule.tests.some((t) => !(setting in t.config) && t.expect.length > 0), `${setting} default fires`).toBe(true)
        }
      })

      if (rule.exceptions.length > 0) {
        it('exercises each exception in an inline test', async () => {
          const report = await runRuleTests([rule])
          expect(report.warnings.map((w) => w.message)).toEqual([])
        })
      }

      for (const test of rule.tests) {
        it(`inline test: ${test.name}`, async () => {
          const result = await runRuleTest(rule, test)
          expect(result.failures, result.failures.join('\n')).toEqual([])
        })
      }
    })
  }

  describe('flooding a task with decisions hides nothing', () => {
    const rule = (id: string) => pack.rules.find((r) => r.id === id)!
    const otherActions = (kind: 'authz_decision' | 'approval', n: number) =>
      Array.from({ length: n }, (_, i) =>
        kind === 'authz_decision'
          ? ev({ kind, authz_result: 'allow', authz_action: `svc.op${i}`, ts: 1_000 + i })
          : ev({ kind, approval_result: 'granted', approval_action: `svc.op${i}`, ts: 1_000 + i }))

    it('action-after-deny fires on the denied tool after 500 allows for other actions', async () => {
      const events = [
        ev({ kind: 'authz_decision', authz_result: 'deny', authz_action: 'db.drop_table', authz_policy: 'no-ddl', ts: 0 }),
        ...otherActions('authz_decision', 500),
        ev({ kind: 'tool_invocation', tool_name: 'db.drop_table', ts: 2_000 }),
      ]
      const result = await runRuleTest(rule('action-after-deny'), {
        name: 'flood', config: {}, events, expect: [{ count: 1, summary_contains: 'after the action db.drop_table was denied by policy no-ddl' }],
      })
      expect(result.failures, result.failures.join('\n')).toEqual([])
    })

    it('approval-bypass fires on the gated tool after 500 grants for other actions', async () => {
      const events = [
        ev({ kind: 'approval', approval_result: 'requested', approval_action: 'payments.transfer', ts: 0 }),
        ...otherActions('approval', 500),
        ev({ kind: 'tool_invocation', tool_name: 'payments.transfer', ts: 2_000 }),
      ]
      const result = await runRuleTest(rule('approval-bypass'), {
        name: 'flood', config: {}, events, expect: [{ count: 1, summary_contains: 'while the required approval was still pending' }],
      })
      expect(result.failures, result.failures.join('\n')).toEqual([])
    })
  })

  describe('a credential replayed days after it ended still alerts', () => {
    const rule = (id: string) => pack.rules.find((r) => r.id === id)!
    const DAY = 24 * 3_600_000

    it('credential-used-after-revocation fires on a use two days after the revocation', async () => {
      const events = [
        ev({ kind: 'credential_issued', credential_id: 'c1', ts: 0 }),
        ev({ kind: 'credential_revoked', credential_id: 'c1', ts: 5_000 }),
        // the registry lets the entry go credential_grace_ms (1 h) after the revocation
        ev({ kind: 'prompt', task_id: 't2', ts: DAY }),
        ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't3', ts: 2 * DAY + 5_000 }),
      ]
      const result = await runRuleTest(rule('credential-used-after-revocation'), {
        name: 'replay', config: {}, events, expect: [{ count: 1, summary_contains: `credential c1 used in task t3 ${(2 * DAY) / 1000}s after it was revoked` }],
      })
      expect(result.failures, result.failures.join('\n')).toEqual([])
    })

    it('credential-used-after-expiry fires on a use two days after the expiry', async () => {
      const events = [
        ev({ kind: 'credential_issued', credential_id: 'c1', credential_expires_at: 60_000, ts: 0 }),
        ev({ kind: 'prompt', task_id: 't2', ts: DAY }),
        ev({ kind: 'credential_used', credential_id: 'c1', task_id: 't3', ts: 2 * DAY + 60_000 }),
      ]
      const result = await runRuleTest(rule('credential-used-after-expiry'), {
        name: 'replay', config: {}, events, expect: [{ count: 1, summary_contains: `credential c1 used in task t3 ${(2 * DAY) / 1000}s after it expired` }],
      })
      expect(result.failures, result.failures.join('\n')).toEqual([])
    })
  })

  it('matches the coverage matrix in docs/frameworks.md', () => {
    const doc = readFileSync(join(RULES_DIR, '..', 'docs', 'frameworks.md'), 'utf8')
    const rows = new Map<string, string[]>()
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((c) => c.trim())
      const id = /^`([a-z0-9-]+)`$/.exec(cells[1] ?? '')?.[1]
      if (!id || cells.length < 8) continue
      const schemes = ['owasp_agentic', 'maestro', 'owasp_nhi', 'mitre_atlas']
      const ids = schemes.flatMap((scheme, i) =>
        cells[3 + i] === '–' ? [] : cells[3 + i].split(',').map((x) => `${scheme}:${x.trim()}`),
      )
      rows.set(id, ids.sort())
    }
    expect([...rows.keys()].sort()).toEqual(pack.rules.map((r) => r.id).sort())
    for (const rule of pack.rules) expect(rows.get(rule.id), rule.id).toEqual([...rule.frameworks].sort())
  })
})
