/**
 * The collector role, composed: OTLP/HTTP receiver → write-ahead log → pipeline → bus.
 *
 * In: collector configuration, the data directory, a bus and telemetry. Out: a fastify plugin to
 * mount, readiness (WAL replayed), and `stop()` which drains the pipeline and closes the log.
 * At start every WAL record after the checkpoint is replayed through the same pipeline.
 * Not here: the HTTP server itself and the other roles (cli/app.ts composes them).
 */
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Authenticator } from '../core/auth.js'
import type { Bus } from '../core/bus/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Telemetry } from '../core/telemetry.js'
import { Pipeline } from './pipeline/index.js'
import { otlpReceiver } from './receiver/index.js'
import { createOtlpCodec, createPipelineStages, type DecodedRequest, type PipelineSpanRecord } from './stages.js'
import { WriteAheadLog } from './wal/index.js'

export interface CollectorOptions {
  config: Pick<Config, 'collector' | 'server'>
  dataDir: string
  bus: Bus
  auth: Authenticator
  telemetry: Telemetry
}

export interface Collector {
  /** Mount on the HTTP server: `POST /v1/traces`, `POST /v1/logs`. */
  plugin: (app: FastifyInstance) => Promise<void>
  /** Resolves once every replayed record has been published. */
  readonly replayed: Promise<void>
  isReplayed(): boolean
  pipeline: Pipeline<DecodedRequest, PipelineSpanRecord>
  wal: WriteAheadLog
  /** Refuses new requests, publishes everything accepted, closes the log. Call after the HTTP server closed. */
  stop(): Promise<void>
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const { config, telemetry } = options
  const logger = telemetry.logger.child({ component: 'collector' })
  const { wal, replay } = await WriteAheadLog.open({ dir: join(options.dataDir, 'wal'), logger, registry: telemetry.registry })
  const pipeline = new Pipeline<DecodedRequest, PipelineSpanRecord>({
    bus: options.bus,
    wal,
    logger,
    registry: telemetry.registry,
    maxQueuedRequests: config.collector.max_queued_requests,
    maxQueuedBytes: config.collector.max_queued_bytes,
    expireEveryMs: Math.max(50, Math.min(1_000, Math.floor(config.collector.grace_window_ms / 4))),
    stages: createPipelineStages(config.collector, telemetry.registry),
  })
  for (const record of replay) pipeline.replay(record)
  let replayDone = replay.length === 0
  const replayed = pipeline.replayDone().then(() => {
    replayDone = true
    if (replay.length > 0) logger.info({ records: replay.length }, 'write-ahead log replay published')
  })

  const plugin = otlpReceiver<DecodedRequest>({
    codec: createOtlpCodec(),
    auth: options.auth,
    registry: telemetry.registry,
    maxBodyBytes: config.server.max_body_bytes,
    sink: {
      reserve: (bytes) => pipeline.reserve(bytes),
      resize: (from, to) => pipeline.resize(from, to),
      release: (bytes) => pipeline.release(bytes),
      append: (entry) => wal.append(entry),
      accept: (item) => pipeline.accept(item),
    },
  })

  return {
    plugin,
    replayed,
    isReplayed: () => replayDone,
    pipeline,
    wal,
    async stop() {
      await pipeline.stop()
      await wal.close()
    },
  }
}
