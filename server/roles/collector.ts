/**
 * The collector role: the OTLP receivers (HTTP routes, gRPC services) and the topology the bus calls for — the embedded one
 * (write-ahead log in this process's data directory) on the in-process bus, the two-stage one on
 * Kafka, which is then the durable log.
 */
import { startEmbeddedCollector, startKafkaCollector } from '../../collector/index.js'
import type { StartRole } from '../role.js'

export const startCollectorRole: StartRole = async ({ config, bus, auth, telemetry }) => {
  if (bus.kind === 'kafka') {
    const collector = await startKafkaCollector({ config, bus, auth, telemetry })
    return { plugin: collector.plugin, grpcServices: collector.grpcServices, checks: () => ({ wal_replayed: collector.isReplayed() }), stop: () => collector.stop() }
  }
  const collector = await startEmbeddedCollector({ config, bus, auth, telemetry, dataDir: config.store.data_dir })
  return {
    plugin: collector.plugin,
    grpcServices: collector.grpcServices,
    checks: () => ({ wal_replayed: collector.isReplayed() }),
    drain: () => collector.pipeline.drain(),
    stop: () => collector.stop(),
  }
}
