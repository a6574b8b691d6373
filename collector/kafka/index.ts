/**
 * The collector when the bus is Kafka, in two stages: OTLP/HTTP receiver → map → `spans`
 * (key = trace id) → correlate consumer group → `events` / `credentials`.
 *
 * In: collector configuration, a Kafka bus, telemetry. Out: the same fastify plugin as the
 * embedded collector; 200 only once Kafka acknowledged the mapped records, 503 with Retry-After
 * while it cannot. Kafka is the durable log here, so there is no write-ahead log: correlation
 * state (held spans) is rebuilt by redelivery of uncommitted `spans` batches.
 * Not here: moving held records away from a member that lost their partition (they are published
 * by both; deterministic event ids make the copies collapse in the store).
 */
export { startKafkaCollector } from './collector.js'
export type { KafkaCollector } from './collector.js'

export { SPAN_TOPICS } from './topics.js'
export type { SpanTopics } from './topics.js'
