/**
 * The detector as a running service: loads and validates rules (refusing to start on an
 * invalid one), rebuilds task state and the credential registry from history, then consumes the
 * `events` topic (group `detector`) and publishes alerts on `alerts` before acknowledging each
 * batch. A wall-clock tick fires absences when traffic stops. Rule files are watched (debounced)
 * and hot-reloaded; an edit that does not validate keeps the previous rules and is logged.
 */
import { randomUUID } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { hostname } from 'node:os'
import type { Alert } from '../core/alert.js'
import type { Bus, CoreTopics, Subscription } from '../core/bus/index.js'
import { PrivpathError } from '../core/errors.js'
import type { PrivpathEvent } from '../core/event.js'
import type { Telemetry } from '../core/telemetry.js'
import type { DetectorConfig } from './config.js'
import { DetectorEngine } from './engine/engine.js'
import { isPromise } from './engine/drive.js'
import { FIRST_SEEN_SYNC_MS, FirstSeenSync, type FirstSeenStore } from './first-seen-sync.js'
import { formatProblem, loadRules, resolveRulesDirs } from './rules/load.js'
import type { StateRow } from './history.js'
import { partitionRebuild } from './rebuild.js'
import type { Rule, RuleProblem } from './rules/types.js'

export interface StartDetectorOptions {
  /** `events` in, `alerts` out, and `credentials` when `consumeCredentials` is set. */
  bus: Bus<CoreTopics>
  config: DetectorConfig
  telemetry: Telemetry
  /** Rule directories; default from `config.rules_dir` ('' = built-in rules/). */
  rulesDirs?: string[]
  /**
   * Events to rebuild state from before consuming (credential events, open tasks), and to step
   * through the rules for partitions gained in a rebalance.
   */
  loadHistory?: () => AsyncIterable<PrivpathEvent>
  /** Compact rows to rebuild state from at start instead of `loadHistory`, a page at a time (history.ts `clickhouseState`). */
  loadState?: () => AsyncIterable<Iterable<StateRow>>
  /**
   * Events a member already handled on partitions it gains in a rebalance (Kafka without a store):
   * replayed into state, alerts discarded. Unused when `loadHistory` exists (the store is authoritative).
   */
  replayPartitions?: (partitions: number[]) => AsyncIterable<PrivpathEvent>
  /** Also feed the registry from the `credentials` topic (Kafka deployments). */
  consumeCredentials?: boolean
  /** Wall-clock tick period for absences; 0 disables. */
  tickMs?: number
  /** Watch rule files for changes; default true. */
  watchRules?: boolean
  debounceMs?: number
  /**
   * Most events per bus batch (default 1000). A batch's alerts are published, and the batch
   * acknowledged, after its last event: smaller batches bound how long an alert waits behind
   * the events after it.
   */
  maxBatch?: number
  /** Called with the new rule set after every successful reload (e.g. to record it in the store). */
  onRulesReloaded?: (rules: Rule[]) => Promise<void> | void
  /** Called after each batch of events was folded into state (the decision endpoint's freshness waits). */
  onStepped?: () => void
  /** Where first-seen facts are kept across restarts (absent: learned anew by each process). */
  firstSeen?: FirstSeenStore
}

export interface RunningDetector {
  ready: Promise<void>
  reload(): Promise<{ ok: boolean; errors: RuleProblem[] }>
  stop(): Promise<void>
  /** The engine, once ready (stats, tests). */
  engine(): DetectorEngine | undefined
}

export function startDetector(options: StartDetectorOptions): RunningDetector {
  const { bus, config, telemetry } = options
  const log = telemetry.logger.child({ component: 'detector' })
  const dirs = options.rulesDirs ?? resolveRulesDirs(config.rules_dir)
  const subscriptions: Subscription[] = []
  const watchers: FSWatcher[] = []
  let engine: DetectorEngine | undefined
  let timer: NodeJS.Timeout | undefined
  let syncTimer: NodeJS.Timeout | undefined
  const firstSeen = options.firstSeen ? new FirstSeenSync(options.firstSeen, log) : undefined
  let debounce: NodeJS.Timeout | undefined
  let stopped = false
  // engine calls must not overlap: batches, ticks and reloads go through one chain
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(work: () => Promise<T> | T): Promise<T> => {
    const next = chain.then(work)
    chain = next.catch(() => undefined)
    return next
  }
  const publish = async (alerts: Alert[]): Promise<void> => {
    if (alerts.length > 0) await bus.publish('alerts', alerts.map((a) => ({ key: a.alert_id, value: a })))
  }
  // Alerts of batches stepped but not yet published, by the batch's first message: when the bus
  // hands a batch over again after its publish failed, its alerts go out without its events
  // being stepped a second time (which would count them twice).
  const unpublished = new WeakMap<object, Alert[]>()

  const load = async () => loadRules(dirs, { timeoutMs: config.rule_timeout_ms })

  const reload = async (): Promise<{ ok: boolean; errors: RuleProblem[] }> => {
    const set = await load()
    if (set.errors.length > 0) {
      for (const problem of set.errors) log.error({ rule: problem.rule_id }, `rule reload rejected: ${formatProblem(problem)}`)
      log.error({ errors: set.errors.length }, 'rules not reloaded: the previous rules keep running')
      return { ok: false, errors: set.errors }
    }
    await serial(() => engine?.replaceRules(set.rules))
    log.info({ rules: set.rules.length, warnings: set.warnings.length }, 'rules reloaded')
    try {
      await options.onRulesReloaded?.(set.rules)
    } catch (error) {
      log.warn({ err: error }, 'rules reloaded, but recording them failed')
    }
    return { ok: true, errors: [] }
  }

  const ready = (async () => {
    const set = await load()
    if (set.errors.length > 0) {
      const names = [...new Set(set.errors.map((e) => e.rule_id || e.file))].join(', ')
      throw new PrivpathError('PP_ERR_RULE_INVALID', `invalid rules (${names}):\n${set.errors.map(formatProblem).join('\n')}`)
    }
    for (const warning of set.warnings) log.warn({ rule: warning.rule_id }, formatProblem(warning))
    engine = new DetectorEngine({ rules: set.rules, config, telemetry, onFirstSeen: firstSeen?.collect })
    const current = engine
    if (firstSeen) {
      const facts = await firstSeen.read()
      current.loadFirstSeen(facts)
      log.info({ facts: facts.length }, 'first-seen facts loaded from the store')
    }
    if (options.loadState || options.loadHistory) {
      let restored = 0
      for await (const page of restorePages(options)) {
        for (const row of page) {
          current.restore(row.event, row.task)
          restored++
        }
      }
      current.restored()
      log.info({ ...current.stats(), restored }, 'detector state rebuilt from history')
    }
    if (stopped) return
    if (options.consumeCredentials) {
      // Every instance needs the whole registry: a group of its own, read from the beginning,
      // and not ready (no events consumed) before it reached what existed at start.
      const registry = await bus.subscribe('credentials', { group: `detector-registry-${hostname()}-${process.pid}-${randomUUID()}`, fromBeginning: true }, async (messages) => {
        await serial(() => messages.forEach((m) => current.updateRegistry(m.value)))
      })
      subscriptions.push(registry)
      await registry.caughtUp
      log.info('credential registry caught up with the credentials topic')
    }
    const rebuild = partitionRebuild({ engine: current, serial, loadHistory: options.loadHistory, replayPartitions: options.replayPartitions, logger: log })
    // In process, later batches are stepped while an earlier one's alerts are still being
    // stored, so an alert does not wait for the storing of the alerts before it (`serial` keeps
    // steps in order). On Kafka one batch at a time: everything stepped is committed before a
    // rebalance, which would otherwise hand uncommitted, already stepped batches over again.
    const inflight = bus.kind === 'memory' ? 8 : 1
    subscriptions.push(
      await bus.subscribe('events', { group: 'detector', fromBeginning: true, maxBatch: options.maxBatch ?? 1_000, maxInflightBatches: inflight, onAssigned: rebuild }, async (messages) => {
        const first = messages[0]
        let alerts = first === undefined ? undefined : unpublished.get(first)
        if (alerts === undefined) {
          // synchronous evaluation when every rule is compiled: no promise per event
          alerts = await serial(() => current.stepBatch(messages.map((m) => m.value)))
          options.onStepped?.()
          if (first !== undefined) unpublished.set(first, alerts)
        }
        await publish(alerts)
        if (first !== undefined) unpublished.delete(first)
        await firstSeen?.flush()
      }),
    )
    if (firstSeen && bus.kind === 'kafka') {
      // members handle different tasks of one agent: each reads what the others learned
      syncTimer = setInterval(() => {
        firstSeen
          .read()
          .then((facts) => serial(() => current.loadFirstSeen(facts)))
          .catch((error: unknown) => log.warn({ err: error }, 'reading first-seen facts from the store failed'))
      }, FIRST_SEEN_SYNC_MS)
      syncTimer.unref()
    }
    const tickMs = options.tickMs ?? 1_000
    if (tickMs > 0) {
      timer = setInterval(() => {
        serial(() => {
          const out = current.tick(Date.now())
          return isPromise(out) ? out : Promise.resolve(out)
        })
          .then(publish)
          .catch((error: unknown) => log.error({ err: error }, 'detector tick failed'))
      }, tickMs)
      timer.unref()
    }
    if (options.watchRules ?? true) {
      for (const dir of dirs) {
        try {
          const watcher = watch(dir, () => {
            clearTimeout(debounce)
            debounce = setTimeout(() => void reload().catch((error: unknown) => log.error({ err: error }, 'rule reload failed')), options.debounceMs ?? 300)
          })
          watcher.on('error', (error) => log.warn({ err: error, dir }, 'rule directory watch failed'))
          watchers.push(watcher)
        } catch (error) {
          log.warn({ err: error, dir }, 'cannot watch rule directory; use reload()')
        }
      }
    }
    log.info({ rules: set.rules.length, dirs }, 'detector started')
  })()

  return {
    ready,
    reload,
    engine: () => engine,
    async stop() {
      stopped = true
      clearInterval(timer)
      clearInterval(syncTimer)
      clearTimeout(debounce)
      for (const w of watchers.splice(0)) w.close()
      await ready.catch(() => undefined)
      for (const s of subscriptions.splice(0)) await s.close()
      await chain
      await firstSeen?.flush()
    },
  }
}

/** The start-up restore's rows, a page at a time: the compact ones when given, else whole events, each with task state. */
async function* restorePages(options: Pick<StartDetectorOptions, 'loadState' | 'loadHistory'>): AsyncIterable<Iterable<StateRow>> {
  if (options.loadState) {
    yield* options.loadState()
    return
  }
  let page: StateRow[] = []
  for await (const event of options.loadHistory!()) {
    page.push({ event, task: true })
    if (page.length === 1_000) {
      yield page
      page = []
    }
  }
  yield page
}
