/**
 * The Cedar policy set decisions consult, when `decision.policies_dir` names one: loaded at start
 * (a set that does not validate refuses the start, as rules do), then hot-reloaded (an edit that
 * does not validate keeps the set in force). cedar-wasm is imported only then, so a deployment
 * without policies never loads it.
 */
import type { Logger } from 'pino'
import { PrivpathError } from '../../core/errors.js'
import { formatProblem } from '../rules/load.js'
import type { PolicyEvaluator } from './decide.js'

export interface PolicySource {
  current(): PolicyEvaluator | null
  close(): void
}

const NONE: PolicySource = { current: () => null, close: () => {} }

function policyDirs(setting: string): string[] {
  return setting.split(',').map((dir) => dir.trim()).filter((dir) => dir !== '')
}

export async function policySource(setting: string, policyDefault: 'allow' | 'deny', logger: Logger, watch = true): Promise<PolicySource> {
  const dirs = policyDirs(setting)
  if (dirs.length === 0) return NONE
  const { loadPolicies, watchPolicies } = await import('./policies/index.js')
  const load = await loadPolicies(dirs, { policyDefault })
  if (load.policies === null) {
    throw new PrivpathError('PP_ERR_CONFIG_INVALID', `decision.policies_dir: the policies do not validate:\n${load.errors.map(formatProblem).join('\n')}`)
  }
  let current = load.policies
  logger.info({ dirs, policies: current.size }, 'decision policies loaded')
  const stop = watch ? watchPolicies(dirs, (set) => (current = set), { logger, policyDefault }) : () => {}
  return { current: () => current, close: stop }
}
