/**
 * The bus a process runs on, chosen by `bus.kind`: the in-process bus for the embedded
 * all-in-one, or Kafka when roles run as separate processes.
 * In: the `bus` section and telemetry. Out: a Bus. Not here: topic administration beyond a
 * tolerated attempt to create the topics (see docs/scaling.md).
 */
import type { Config } from '../config/schema.js'
import type { Telemetry } from '../telemetry.js'
import type { Bus } from './bus.js'
import { KafkaBus, type KafkaBusOptions } from './kafka.js'
import { MemoryBus } from './memory.js'

export type { BatchContext, BatchHandler, Bus, BusMessage, SpanRecordValue, SubscribeOptions, Subscription, Topic, TopicValues } from './bus.js'
export { TOPICS } from './bus.js'
export { KafkaBus, kafkaGroupId, type KafkaBusOptions } from './kafka.js'
export { topicName, type KafkaTiming } from './kafka-client.js'
export { MemoryBus, type MemoryBusOptions } from './memory.js'

export function createBus(config: Config['bus'], telemetry: Telemetry, overrides: Partial<Pick<KafkaBusOptions, 'timing' | 'retry' | 'publishTimeoutMs'>> = {}): Bus {
  const logger = telemetry.logger.child({ component: 'bus' })
  if (config.kind === 'kafka') return new KafkaBus({ config: config.kafka, logger, registry: telemetry.registry, ...overrides })
  return new MemoryBus({ onHandlerError: (err, topic, group) => logger.warn({ err, topic, group }, 'bus handler failed; redelivering') })
}
