/**
 * The bus: how components talk without importing each other (bus.ts), in process (memory.ts) or
 * on Kafka (kafka.ts), the one a process runs on chosen by configuration (create.ts).
 */
export type { Bus, CoreTopics } from './bus.js'
export { CORE_TOPICS } from './bus.js'
export { createBus } from './create.js'
