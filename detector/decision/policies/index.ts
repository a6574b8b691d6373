/**
 * Cedar decision policies: loaded and validated from `*.cedar` files with their inline tests
 * (`*.tests.yaml`), evaluated per proposed step against PolicyInput, hot-reloaded. docs/decisions.md
 * ("Cedar policies") describes the attributes policies read and the semantics.
 */
export { loadPolicies } from './load.js'
export type { PolicyLoad, PolicyLoadOptions } from './load.js'
export { PolicySet } from './policy-set.js'
export type { LoadedPolicy, PolicyDefault, PolicyMode } from './policy-set.js'
export { policyTestLabel, runPolicyTests } from './test-runner.js'
export type { PolicyTestReport } from './test-runner.js'
export { watchPolicies } from './watch.js'
export type { WatchPoliciesOptions } from './watch.js'
