/**
 * The collector role when the bus is Kafka: OTLP/HTTP receiver → map → `spans` (key = trace id)
 * → correlate consumer group → `events` / `credentials`.
 *
 * In: collector configuration, a Kafka bus, telemetry. Out: the same fastify plugin as the
 * embedded collector; 200 only once Kafka acknowledged the mapped records, 503 with Retry-After
 * while it cannot. Kafka is the durable log here, so there is no write-ahead log: correlation
 * state (held spans) is rebuilt by redelivery of uncommitted `spans` batches.
 * Not here: moving held records away from a member that lost their partition (they are published
 * by both; deterministic event ids make the copies collapse in the store).
 */
import type { FastifyInstance } from 'fastify'
import type { Authenticator } from '../../core/auth.js'
import type { Bus } from '../../core/bus/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Telemetry } from '../../core/telemetry.js'
import { otlpReceiver } from '../receiver/index.js'
import { createOtlpCodec, createPipelineStages, type DecodedRequest } from '../stages.js'
import { CORRELATE_GROUP, CorrelateConsumer } from './correlate-consumer.js'
import { SpanPublisher } from './span-publisher.js'

export { CORRELATE_GROUP, CorrelateConsumer, type CorrelateConsumerOptions } from './correlate-consumer.js'
export { SpanPublisher, spanKey, toSpanValue, type SpanPublisherOptions } from './span-publisher.js'

export interface DistributedCollectorOptions {
  config: Pick<Config, 'collector' | 'server'>
  bus: Bus
  auth: Authenticator
  telemetry: Telemetry
}

export interface DistributedCollector {
  plugin: (app: FastifyInstance) => Promise<void>
  /** The correlate consumer joined its group. */
  isReplayed(): boolean
  publisher: SpanPublisher
  correlate: CorrelateConsumer
  stop(): Promise<void>
}

export async function startDistributedCollector(options: DistributedCollectorOptions): Promise<DistributedCollector> {
  const { config, telemetry } = options
  const logger = telemetry.logger.child({ component: 'collector' })
  const stages = createPipelineStages(config.collector, telemetry.registry)
  const publisher = new SpanPublisher({
    bus: options.bus,
    decode: stages.decode,
    map: (signal, request, context) => stages.map(signal, request, context),
    maxInflightRequests: config.collector.max_queued_requests,
    maxInflightBytes: config.collector.max_queued_bytes,
    registry: telemetry.registry,
  })
  const correlate = new CorrelateConsumer({
    bus: options.bus,
    correlator: stages.correlator,
    logger,
    expireEveryMs: Math.max(50, Math.min(1_000, Math.floor(config.collector.grace_window_ms / 4))),
  })
  await correlate.start()
  const plugin = otlpReceiver<DecodedRequest>({
    codec: createOtlpCodec(),
    auth: options.auth,
    registry: telemetry.registry,
    maxBodyBytes: config.server.max_body_bytes,
    sink: publisher,
  })
  logger.info({ group: CORRELATE_GROUP }, 'collector on Kafka: spans keyed by trace id, correlated in a consumer group')
  return {
    plugin,
    isReplayed: () => true,
    publisher,
    correlate,
    stop: () => correlate.stop(),
  }
}
