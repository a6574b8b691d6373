/**
 * Cedar decision policies: loaded and validated from `*.cedar` files with their inline tests
 * (`*.tests.yaml`), evaluated per proposed step against PolicyInput, hot-reloaded. docs/decisions.md
 * ("Cedar policies") describes the attributes policies read and the semantics.
 */
export { loadPolicies } from './load.js'
export type { PolicyDefault } from './policy-set.js'
export { policyTestLabel, runPolicyTests } from './test-runner.js'
export { watchPolicies } from './watch.js'
