/**
 * The detector role: bus topic `events` (group `detector`) → rules → bus topic `alerts`. State is
 * rebuilt from the store's history when this process has the store; on Kafka without one, from a
 * replay of the partitions it gains. Each reload of the rules is recorded in the store.
 */
import { type CoreTopics, KafkaBus } from '../../core/bus/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import { isEmbedded, recordLoadedRules } from '../../core/store/index.js'
import { startDetector, storeHistory } from '../../detector/index.js'
import type { StartRole } from '../role.js'
import { loadedRule } from '../rules.js'

export const startDetectorRole: StartRole = async ({ config, bus, store, telemetry }) => {
  const client = store?.client
  const database = config.store.database
  const running = startDetector({
    bus,
    config: config.detector,
    telemetry,
    ...(client ? storeHistory(client, database, config.detector, isEmbedded(config.store)) : {}),
    replayPartitions: bus instanceof KafkaBus ? kafkaReplay(bus, config.detector.rebuild_lookback_ms) : undefined,
    consumeCredentials: bus.kind === 'kafka',
    onRulesReloaded: client ? (rules) => recordLoadedRules(client, database, rules.map(loadedRule)) : undefined,
  })
  try {
    await running.ready
  } catch (error) {
    await running.stop().catch(() => undefined)
    throw error
  }
  return {
    checks: () => ({ detector: true }),
    reloadRules: () => running.reload(),
    stop: () => running.stop(),
  }
}

/** Partitions a detector gains, replayed from the `events` topic over the lookback (0: all retained), when there is no store. */
function kafkaReplay(bus: KafkaBus<Pick<CoreTopics, 'events'>>, lookbackMs: number): (partitions: number[]) => AsyncIterable<PrivpathEvent> {
  return async function* (partitions) {
    yield* await bus.replay('events', 'detector', partitions, lookbackMs === 0 ? undefined : Date.now() - lookbackMs)
  }
}
