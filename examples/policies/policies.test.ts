import { describe, expect, it } from 'vitest'
import { loadPolicies, runPolicyTests } from '../../detector/decision/policies/index.js'

describe('the example policy set', () => {
  it('validates with no warnings, and every inline test passes', async () => {
    const load = await loadPolicies([import.meta.dirname])
    expect(load.errors).toEqual([])
    expect(load.warnings).toEqual([])
    expect(load.policies?.size).toBeGreaterThanOrEqual(5)
    const report = runPolicyTests(load)
    expect(report.results.flatMap((r) => r.failures)).toEqual([])
    // every policy is pinned by a test that needs it to deny
    const pinned = new Set(load.tests.flatMap((t) => t.policies.map((p) => p.id)))
    expect(load.policies?.ids().filter((id) => !pinned.has(id))).toEqual([])
  })
})
