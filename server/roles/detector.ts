/**
 * The detector role: bus topic `events` (group `detector`) → rules → bus topic `alerts`. State is
 * rebuilt from the store's history when this process has the store; on Kafka without one, from a
 * replay of the partitions it gains. Each reload of the rules is recorded in the store, and so is
 * what first-seen rules learn (agents' MCP servers, tools, delegation edges, tool definitions). It
 * serves the decision endpoint (AuthZEN), over the same state.
 */
import { type CoreTopics, KafkaBus } from '../../core/bus/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import { isEmbedded, readFirstSeen, recordFirstSeen, recordLoadedRules } from '../../core/store/index.js'
import { decisionService, policySource, startDetector, storeHistory } from '../../detector/index.js'
import type { StartRole } from '../role.js'
import { loadedRule } from '../rules.js'

export const startDetectorRole: StartRole = async ({ config, bus, store, telemetry, auth }) => {
  const client = store?.client
  // facts are written after every batch: on a connection of their own, not queued behind history or rule reads
  const facts = store?.connection()
  const database = config.store.database
  // decisions are answered where the tasks' state lives: in the detector
  const policies = await policySource(config.decision.policies_dir, config.decision.policy_default, telemetry.logger)
  const decisions = decisionService({
    settings: config.decision,
    policies: policies.current,
    engine: () => running.engine(),
    bus,
    auth,
    telemetry,
    publicUrl: config.server.public_url,
  })
  const running = startDetector({
    onStepped: decisions.stepped,
    bus,
    config: config.detector,
    telemetry,
    ...(client ? storeHistory(client, database, config.detector, isEmbedded(config.store)) : {}),
    replayPartitions: bus instanceof KafkaBus ? kafkaReplay(bus, config.detector.rebuild_lookback_ms) : undefined,
    consumeCredentials: bus.kind === 'kafka',
    onRulesReloaded: client ? (rules) => recordLoadedRules(client, database, rules.map(loadedRule)) : undefined,
    firstSeen: facts
      ? {
          read: (since) => readFirstSeen(facts, database, { perDomain: config.detector.max_first_seen, since }),
          write: (rows) => recordFirstSeen(facts, database, rows),
        }
      : undefined,
  })
  try {
    await running.ready
  } catch (error) {
    await running.stop().catch(() => undefined)
    policies.close()
    throw error
  }
  return {
    plugin: decisions.plugin,
    checks: () => ({ detector: true }),
    reloadRules: () => running.reload(),
    stop: async () => {
      decisions.close()
      policies.close()
      await running.stop()
    },
  }
}

/** Partitions a detector gains, replayed from the `events` topic over the lookback (0: all retained), when there is no store. */
function kafkaReplay(bus: KafkaBus<Pick<CoreTopics, 'events'>>, lookbackMs: number): (partitions: number[]) => AsyncIterable<PrivpathEvent> {
  return async function* (partitions) {
    yield* await bus.replay('events', 'detector', partitions, lookbackMs === 0 ? undefined : Date.now() - lookbackMs)
  }
}
