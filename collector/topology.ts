/**
 * What the two topologies share: their options, the OTLP receivers (HTTP and gRPC) and the OPA
 * decision-log route they put in front of their own durable step (the write-ahead log, or Kafka's
 * acknowledgement), and how often held spans are checked against the grace window.
 */
import type { FastifyInstance } from 'fastify'
import type { Authenticator } from '../core/auth.js'
import type { Bus, CoreTopics } from '../core/bus/index.js'
import type { Config } from '../core/config/schema.js'
import type { Telemetry } from '../core/telemetry.js'
import type { SpanTopics } from './kafka/topics.js'
import { opaReceiver, type PlacementLookup } from './opa/index.js'
import { type GrpcService, type IngestSink, otlpGrpcServices, otlpReceiver } from './receiver/index.js'
import { createOtlpCodec, type DecodedRequest } from './stages.js'

/** The topics the collector uses: its output, and `spans` between its two stages on Kafka. */
type CollectorTopics = Pick<CoreTopics, 'events' | 'credentials'> & SpanTopics

export interface CollectorOptions {
  config: Pick<Config, 'collector' | 'server' | 'store'>
  bus: Bus<CollectorTopics>
  auth: Authenticator
  telemetry: Telemetry
  /** The store's spans, when this process has the store: OPA decisions join their tool call through it. */
  placements?: PlacementLookup
}

export interface RunningCollector {
  /** Mount on the HTTP server: `POST /v1/traces`, `POST /v1/logs`, `POST /v1/opa/logs`. */
  plugin: (app: FastifyInstance) => Promise<void>
  /** For the gRPC server: TraceService/Export and LogsService/Export. */
  grpcServices: GrpcService[]
  /** Ready to serve: the write-ahead log replayed (embedded), the correlate consumer joined (Kafka). */
  isReplayed(): boolean
  /** Refuses new requests and hands on what was accepted. Call after the HTTP and gRPC servers closed. */
  stop(): Promise<void>
}

/** The receivers (OTLP over HTTP and gRPC, OPA decision logs over HTTP), feeding the same sink. */
export function receivers(
  options: CollectorOptions,
  sink: IngestSink<DecodedRequest>,
): Pick<RunningCollector, 'plugin' | 'grpcServices'> {
  const { auth, telemetry } = options
  const codec = createOtlpCodec()
  const common = { auth, registry: telemetry.registry, maxBodyBytes: options.config.server.max_body_bytes, sink }
  const otlp = otlpReceiver<DecodedRequest>({ ...common, codec })
  const opa = opaReceiver({ ...common, resultExpression: options.config.collector.opa_result_expression, placements: options.placements })
  return {
    plugin: async (app) => {
      await app.register(otlp)
      await app.register(opa)
    },
    grpcServices: otlpGrpcServices<DecodedRequest>({
      codec,
      auth,
      registry: telemetry.registry,
      logger: telemetry.logger.child({ component: 'grpc' }),
      sink,
    }),
  }
}

/** A quarter of the grace window, within [50 ms, 1 s]: a held span is placed at most that late. */
export function expireEveryMs(config: Config['collector']): number {
  return Math.max(50, Math.min(1_000, Math.floor(config.grace_window_ms / 4)))
}
