/**
 * The collector role: the OTLP receivers (HTTP routes, gRPC services) and the topology the bus calls for — the embedded one
 * (write-ahead log in this process's data directory) on the in-process bus, the two-stage one on
 * Kafka, which is then the durable log. Beside the store (a writer or api role in the process),
 * OPA decisions are joined to their tool calls through it.
 */
import { startEmbeddedCollector, startKafkaCollector, storePlacements } from '../../collector/index.js'
import type { StartRole } from '../role.js'

export const startCollectorRole: StartRole = async ({ config, bus, auth, telemetry, store }) => {
  // OPA decisions arrive minutes late: beside the store, they join their tool call through it
  const placements = store ? storePlacements(store.connection(), config.store.database) : undefined
  if (bus.kind === 'kafka') {
    const collector = await startKafkaCollector({ config, bus, auth, telemetry, placements })
    return { plugin: collector.plugin, grpcServices: collector.grpcServices, checks: () => ({ wal_replayed: collector.isReplayed() }), stop: () => collector.stop() }
  }
  const collector = await startEmbeddedCollector({ config, bus, auth, telemetry, placements, dataDir: config.store.data_dir })
  return {
    plugin: collector.plugin,
    grpcServices: collector.grpcServices,
    checks: () => ({ wal_replayed: collector.isReplayed() }),
    drain: () => collector.pipeline.drain(),
    stop: () => collector.stop(),
  }
}
