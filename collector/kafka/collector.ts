/** The Kafka topology composed: receiver → span publisher → `spans` → correlate consumer → publisher (see index.ts). */
import { EventPublisher } from '../publish/publisher.js'
import { createPipelineStages } from '../stages.js'
import { type CollectorOptions, expireEveryMs, receivers, type RunningCollector } from '../topology.js'
import { CORRELATE_GROUP, CorrelateConsumer } from './correlate-consumer.js'
import { SpanPublisher } from './span-publisher.js'

export interface KafkaCollector extends RunningCollector {
  publisher: SpanPublisher
  correlate: CorrelateConsumer
}

export async function startKafkaCollector(options: CollectorOptions): Promise<KafkaCollector> {
  const { config, telemetry } = options
  const logger = telemetry.logger.child({ component: 'collector' })
  const stages = createPipelineStages(config, telemetry.registry)
  const publisher = new SpanPublisher({
    bus: options.bus,
    decode: stages.decode,
    map: (signal, request, context) => stages.map(signal, request, context),
    maxInflightRequests: config.collector.max_queued_requests,
    maxInflightBytes: config.collector.max_queued_bytes,
    registry: telemetry.registry,
  })
  const correlate = new CorrelateConsumer({
    bus: options.bus,
    correlator: stages.correlator,
    publisher: new EventPublisher({ bus: options.bus, logger, registry: telemetry.registry }),
    logger,
    expireEveryMs: expireEveryMs(config.collector),
  })
  await correlate.start()
  logger.info({ group: CORRELATE_GROUP }, 'collector on Kafka: spans keyed by trace id, correlated in a consumer group')
  return {
    ...receivers(options, publisher),
    isReplayed: () => true,
    publisher,
    correlate,
    stop: () => correlate.stop(),
  }
}
