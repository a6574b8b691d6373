/** The embedded topology composed: receiver → write-ahead log → pipeline → publisher (see index.ts). */
import { join } from 'node:path'
import { EventPublisher } from '../publish/publisher.js'
import { Pipeline } from '../pipeline/index.js'
import { createPipelineStages, type DecodedRequest, type PipelineSpanRecord } from '../stages.js'
import { type CollectorOptions, expireEveryMs, receivers, type RunningCollector } from '../topology.js'
import { WriteAheadLog } from '../wal/index.js'

export interface EmbeddedCollectorOptions extends CollectorOptions {
  /** The write-ahead log lives in `<dataDir>/wal`. */
  dataDir: string
}

export interface EmbeddedCollector extends RunningCollector {
  /** Resolves once every replayed record has been published. */
  readonly replayed: Promise<void>
  pipeline: Pipeline<DecodedRequest, PipelineSpanRecord>
  wal: WriteAheadLog
}

export async function startEmbeddedCollector(options: EmbeddedCollectorOptions): Promise<EmbeddedCollector> {
  const { config, telemetry } = options
  const logger = telemetry.logger.child({ component: 'collector' })
  const { wal, replay } = await WriteAheadLog.open({ dir: join(options.dataDir, 'wal'), logger, registry: telemetry.registry })
  const pipeline = new Pipeline<DecodedRequest, PipelineSpanRecord>({
    publisher: new EventPublisher({ bus: options.bus, logger, registry: telemetry.registry }),
    wal,
    logger,
    registry: telemetry.registry,
    maxQueuedRequests: config.collector.max_queued_requests,
    maxQueuedBytes: config.collector.max_queued_bytes,
    expireEveryMs: expireEveryMs(config.collector),
    stages: createPipelineStages(config, telemetry.registry),
  })
  for (const record of replay) pipeline.replay(record)
  let replayDone = replay.length === 0
  const replayed = pipeline.replayDone().then(() => {
    replayDone = true
    if (replay.length > 0) logger.info({ records: replay.length }, 'write-ahead log replay published')
  })

  const { plugin, grpcServices } = receivers(options, {
    reserve: (bytes) => pipeline.reserve(bytes),
    resize: (from, to) => pipeline.resize(from, to),
    release: (bytes) => pipeline.release(bytes),
    append: (entry) => wal.append(entry),
    accept: (item) => pipeline.accept(item),
  })

  return {
    plugin,
    grpcServices,
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
