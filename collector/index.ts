/**
 * The collector: OTLP export requests in, privpath events on the bus out.
 *
 * In: OTLP/HTTP traces and logs (protobuf or JSON, gzip or deflate), OTLP/gRPC ones (gzip), and
 * OPA decision-log uploads (opa/), with a tenant key when keys are configured. Then: check at the
 * door (receiver/, otlp/, opa/) → durable (wal/, or Kafka) → decode →
 * map conventions to events and redact (mapping/, redact/) → place spans in tasks (correlate/) →
 * publish in event time (publish/). Out: events on `events` (key = task id), credential events
 * (key = credential id) and task_end (key = task id) also on `credentials`. A request is answered 200 (gRPC: OK) only once it is durable.
 * Two topologies, one set of steps: `embedded` (write-ahead log and pipeline in one process) and
 * `kafka` (mapped records on `spans` keyed by trace id, correlated by a consumer group).
 * Not here: metrics and profiles signals, detection (detector/), storage (writer/).
 */
export { startEmbeddedCollector } from './embedded/index.js'
export { storePlacements } from './opa/index.js'

export type { GrpcService } from './receiver/index.js'

export { SPAN_TOPICS, startKafkaCollector } from './kafka/index.js'
export type { KafkaCollector, SpanTopics } from './kafka/index.js'
