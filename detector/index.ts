/**
 * privpath detector. In: privpath events (bus topic `events`, or an iterable for backtests),
 * YAML rules (`rules/*.yaml`, docs/rules.md). Out: alerts (bus topic `alerts`), rule validation
 * problems with file:line:col, inline test results. It keeps per-task state and a global
 * credential registry in memory, rebuilt from history on start.
 * Not here: sending alerts anywhere but the bus (delivery/ routes them to Slack and webhooks, the
 * writer stores them); sharing task state between detector instances (each owns its partitions'
 * tasks; the registry is fed from `credentials` on every instance).
 */
export { detectorConfig, type DetectorConfig } from './config.js'
export { createEngine, DetectorEngine, type EngineOptions, type EngineStats } from './engine/engine.js'
export type { RuleContext } from './engine/context.js'
export { describePath } from './engine/path.js'
export { clickhouseHistory, historyQuery, type HistoryOptions } from './history.js'
export { replay, type ReplayOptions, type ReplayResult } from './replay.js'
export { startDetector, type RunningDetector, type StartDetectorOptions } from './service.js'
export { builtinRulesDir, formatProblem, loadRules, parseRuleText, resolveRulesDirs, type LoadOptions } from './rules/load.js'
export { validateRules, type ValidationReport } from './rules/validate-all.js'
export { runRuleTest, runRuleTests, type RuleTestReport, type RuleTestResult } from './rules/test-runner.js'
export type { Correlation, Rule, RuleException, RuleProblem, RuleSet, RuleStep, RuleTest, RuleTestExpectation } from './rules/types.js'
export { CredentialRegistry, type CredentialEntry } from './state/registry.js'
export type { TaskState, ToolCall } from './state/task.js'
export { parseExpression, type Expression } from '../core/expression/index.js'
export { parseDuration } from '../core/duration.js'
