/**
 * The bus: how components talk without importing each other (bus.ts), in process (memory.ts) or
 * on Kafka (kafka.ts), the one a process runs on chosen by configuration (create.ts).
 * In: batches of keyed messages per topic. Out: the same batches, to every consumer group
 * subscribed; `publish` resolves once they are durable (acknowledged by Kafka, or handled by every
 * in-process group). Not here: topic administration beyond a tolerated attempt to create topics.
 */
export type { BatchHandler, Bus, BusMessage, CoreTopics, SubscribeOptions, Subscription, Topic } from './bus.js'
export { CORE_TOPICS } from './bus.js'
export { createBus } from './create.js'
export { KafkaBus, kafkaGroupId } from './kafka.js'
export type { KafkaBusOptions } from './kafka.js'
export type { KafkaSectionConfig } from './kafka-client.js'
export { MemoryBus } from './memory.js'
