/**
 * Records the rules this process loads into the store's `rules` table at start, so the API's
 * /api/rules and the Grafana framework-coverage panels read the rule → framework mapping as data.
 * The rules come from the same directories the detector reads (`detector.rules_dir`), which is
 * also what an api-only process of a scale-out deployment sees. A rule set that does not validate
 * is not recorded (the detector refuses to start on it; the api keeps serving the previous load).
 */
import type { ClickHouseClient } from '../core/store/index.js'
import { recordLoadedRules, type LoadedRule } from '../core/store/index.js'
import type { Config } from '../core/config/schema.js'
import type { Telemetry } from '../core/telemetry.js'
import { formatProblem, loadRules, resolveRulesDirs, type Rule } from '../detector/index.js'

export function loadedRule(rule: Rule): LoadedRule {
  return {
    rule_id: rule.id,
    title: rule.title,
    description: rule.description,
    severity: rule.severity,
    status: rule.status,
    frameworks: rule.frameworks,
    tags: rule.tags,
    file: rule.file,
  }
}

/**
 * Never fails the start: an api process still serves without a rule list (the detector role,
 * which needs the rules, refuses to start on its own when they do not load).
 */
export async function recordRules(client: Pick<ClickHouseClient, 'insert'>, config: Config, telemetry: Telemetry): Promise<number> {
  const dirs = resolveRulesDirs(config.detector.rules_dir)
  try {
    const set = await loadRules(dirs, { timeoutMs: config.detector.rule_timeout_ms })
    if (set.errors.length > 0) {
      telemetry.logger.warn({ dirs, errors: set.errors.slice(0, 5).map(formatProblem) }, 'rules not recorded in the store: they do not validate')
      return 0
    }
    await recordLoadedRules(client, config.store.database, set.rules.map(loadedRule))
    return set.rules.length
  } catch (error) {
    telemetry.logger.warn({ dirs, err: error }, 'rules not recorded in the store: /api/rules and the Grafana rule panels show the previous load')
    return 0
  }
}
