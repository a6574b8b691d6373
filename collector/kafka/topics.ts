/**
 * The topic the collector adds to the core ones when correlation runs behind Kafka: `spans`,
 * mapped records keyed by trace id, published by the span publisher and read by the correlate
 * consumer. The process's bus carries it beside the core topics (server/topics.ts).
 */
import type { SpanRecordValue } from '../mapping/index.js'

export type SpanTopics = {
  spans: SpanRecordValue
}
export const SPAN_TOPICS: ReadonlyArray<keyof SpanTopics> = ['spans']
