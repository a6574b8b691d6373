/**
 * The topics one privpath process's bus carries: the core ones and the collector's `spans`. Every
 * role gets this bus and uses the topics it declares; on Kafka these are the topics the bus asks
 * the cluster to create.
 */
import { SPAN_TOPICS, type SpanTopics } from '../collector/index.js'
import { CORE_TOPICS, type CoreTopics } from '../core/bus/index.js'

export type ServerTopics = CoreTopics & SpanTopics
export const SERVER_TOPICS: ReadonlyArray<keyof ServerTopics> = [...CORE_TOPICS, ...SPAN_TOPICS]
