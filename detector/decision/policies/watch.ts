/**
 * Hot reload of decision policies, as the detector does for rules: the directories are watched,
 * changes are debounced (an editor's save is several events), and the reloaded set is handed to
 * `onLoad` only when it validates; otherwise every problem is logged and the caller keeps the
 * set it has. Loads never overlap, and a load that finishes after a newer one started is dropped,
 * so the set delivered last is always the files' latest state.
 */
import { watch, type FSWatcher } from 'node:fs'
import type { Logger } from '../../../core/telemetry.js'
import { formatProblem } from '../../rules/load.js'
import { isPolicyFile, loadPolicies, type PolicyLoad, type PolicyLoadOptions } from './load.js'
import type { PolicySet } from './policy-set.js'

export interface WatchPoliciesOptions extends PolicyLoadOptions {
  logger: Logger
  /** Default 300 ms. */
  debounceMs?: number
  /** Called with a reload that did not validate (after logging it). */
  onRejected?: (load: PolicyLoad) => void
}

/** Watches `dirs`; returns the function that stops watching. */
export function watchPolicies(dirs: readonly string[], onLoad: (set: PolicySet, load: PolicyLoad) => void, options: WatchPoliciesOptions): () => void {
  const log = options.logger.child({ component: 'policies' })
  const watchers: FSWatcher[] = []
  let debounce: NodeJS.Timeout | undefined
  let closed = false
  let latest = 0
  let chain: Promise<void> = Promise.resolve()

  const reload = async (run: number): Promise<void> => {
    const load = await loadPolicies(dirs, options)
    if (closed || run !== latest) return
    if (!load.policies) {
      for (const problem of load.errors) log.error({ policy: problem.rule_id }, `policy reload rejected: ${formatProblem(problem)}`)
      log.error({ errors: load.errors.length }, 'policies not reloaded: the previous policies stay in force')
      options.onRejected?.(load)
      return
    }
    for (const warning of load.warnings) log.warn({ policy: warning.rule_id }, formatProblem(warning))
    log.info({ policies: load.policies.size }, 'policies reloaded')
    onLoad(load.policies, load)
  }

  const schedule = () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => {
      const run = ++latest
      chain = chain.then(() => reload(run)).catch((error: unknown) => log.error({ err: error }, 'policy reload failed'))
    }, options.debounceMs ?? 300)
  }

  for (const dir of dirs) {
    try {
      // a file name is not always given (some platforms): then any change may be a policy's
      const watcher = watch(dir, (_event, name) => {
        if (name === null || isPolicyFile(String(name))) schedule()
      })
      watcher.on('error', (error) => log.warn({ err: error, dir }, 'policy directory watch failed'))
      watchers.push(watcher)
    } catch (error) {
      log.warn({ err: error, dir }, 'cannot watch policy directory: its changes are not reloaded')
    }
  }

  return () => {
    closed = true
    clearTimeout(debounce)
    for (const w of watchers.splice(0)) w.close()
  }
}
