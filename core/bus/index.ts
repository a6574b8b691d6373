/**
 * The bus: how components talk without importing each other (bus.ts), in process (memory.ts) or
 * on Kafka (kafka.ts), the one a process runs on chosen by configuration (create.ts).
 */
export type { BatchContext, BatchHandler, Bus, BusMessage, SpanRecordValue, SubscribeOptions, Subscription, Topic, TopicValues } from './bus.js'
export { TOPICS } from './bus.js'
export { createBus } from './create.js'
export { KafkaBus, kafkaGroupId, type KafkaBusOptions } from './kafka.js'
export { topicName, type KafkaTiming } from './kafka-client.js'
export { MemoryBus, type MemoryBusOptions } from './memory.js'
