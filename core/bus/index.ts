/**
 * The bus: how components talk without importing each other (bus.ts), in process (memory.ts) or
 * on Kafka (kafka.ts), the one a process runs on chosen by configuration (create.ts).
 */
export type { BatchContext, BatchHandler, Bus, BusMessage, CoreTopics, SubscribeOptions, Subscription, Topic, TopicMap } from './bus.js'
export { CORE_TOPICS } from './bus.js'
export { createBus } from './create.js'
export { KafkaBus, kafkaGroupId, type KafkaBusOptions } from './kafka.js'
export { topicName, type KafkaTiming } from './kafka-client.js'
export { MemoryBus, type MemoryBusOptions } from './memory.js'
