/**
 * The bus a process runs on, chosen by `bus.kind`: the in-process bus for the embedded
 * all-in-one, or Kafka when roles run as separate processes.
 * In: the `bus` section, telemetry, and the topics the process's components use. Out: a Bus.
 * Not here: topic administration beyond a tolerated attempt to create the topics (see docs/scaling.md).
 */
import type { Config } from '../config/schema.js'
import type { Telemetry } from '../telemetry.js'
import type { Bus, TopicMap } from './bus.js'
import { KafkaBus, type KafkaBusOptions } from './kafka.js'
import { MemoryBus } from './memory.js'

export function createBus<T extends TopicMap>(
  config: Config['bus'],
  telemetry: Telemetry,
  topics: ReadonlyArray<keyof T & string>,
  overrides: Partial<Pick<KafkaBusOptions<T>, 'timing' | 'retry' | 'publishTimeoutMs'>> = {},
): Bus<T> {
  const logger = telemetry.logger.child({ component: 'bus' })
  if (config.kind === 'kafka') return new KafkaBus<T>({ config: config.kafka, topics, logger, registry: telemetry.registry, ...overrides })
  return new MemoryBus<T>({ onHandlerError: (err, topic, group) => logger.warn({ err, topic, group }, 'bus handler failed; redelivering') })
}
