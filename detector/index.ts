/**
 * privpath detector. In: privpath events (bus topic `events`, or an iterable for backtests),
 * YAML rules (`rules/*.yaml`, docs/rules.md). Out: alerts (bus topic `alerts`), rule validation
 * problems with file:line:col, inline test results. It keeps per-task state and a global
 * credential registry in memory, rebuilt from history on start.
 * It also answers decisions before a step runs (decision/: AuthZEN evaluations over its live state).
 * Not here: sending alerts anywhere but the bus (delivery/ routes them to Slack and webhooks, the
 * writer stores them); sharing task state between detector instances (each owns its partitions'
 * tasks; the registry is fed from `credentials` on every instance).
 */
export { detectorConfig } from './config.js'
export { storeHistory } from './history.js'
export { replay } from './replay.js'
export { startDetector } from './service.js'
export type { RunningDetector } from './service.js'
export { formatProblem, loadRules, resolveRulesDirs } from './rules/load.js'
export { runRuleTests } from './rules/test-runner.js'
export { interpretedExpressions, validateRules } from './rules/validate-all.js'
export type { Rule, RuleProblem } from './rules/types.js'
export { decisionService, policySource } from './decision/index.js'
