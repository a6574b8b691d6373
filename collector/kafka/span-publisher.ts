/**
 * The receiver's sink when correlation runs behind Kafka: each accepted request is mapped here
 * and its span records published on `spans`, keyed by trace id so one correlate consumer sees a
 * whole trace whichever collector received each part. `append` resolves only once Kafka
 * acknowledged, so the receiver answers 200 after that and 503 (Retry-After) when it cannot.
 * Requests being published at once are bounded by `maxInflightRequests` and their body bytes by
 * `maxInflightBytes` (429 beyond either; one request always fits when none is in flight).
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Bus, BusMessage } from '../../core/bus/index.js'
import { PrivpathError } from '../../core/errors.js'
import type { SpanRecord, SpanRecordValue } from '../mapping/index.js'
import type { IngestSink } from '../receiver/index.js'
import type { DecodedRequest } from '../stages.js'
import type { BodyFormat, RecordSignal } from '../wal/index.js'
import type { SpanTopics } from './topics.js'

type DecodeRequest = (signal: RecordSignal, body: Uint8Array, format: BodyFormat) => DecodedRequest
type MapRequest = (signal: RecordSignal, request: DecodedRequest, context: { authTenant: string; observedAt: number }) => SpanRecord[]

export interface SpanPublisherOptions {
  bus: Bus<SpanTopics>
  decode: DecodeRequest
  map: MapRequest
  maxInflightRequests: number
  maxInflightBytes?: number
  registry: Registry
  now?: () => number
}

function spanKey(record: SpanRecordValue): string {
  return record.traceId || record.fallbackTaskId
}

function toSpanValue(record: SpanRecord): SpanRecordValue {
  const { origin: _origin, ...value } = record
  return value
}

export class SpanPublisher implements IngestSink<DecodedRequest> {
  private inflight = 0
  private inflightBytes = 0
  private readonly published: Counter

  constructor(private readonly options: SpanPublisherOptions) {
    const registers = [options.registry]
    this.published = new Counter({
      name: 'privpath_collector_spans_published_total',
      help: 'Mapped span and log records published on the spans topic for correlation',
      registers,
    })
    const self = this
    // The same gauges as the in-process pipeline's queue, so dashboards read both modes alike.
    new Gauge({
      name: 'privpath_collector_queue_depth',
      help: 'Requests being received or waiting for Kafka to acknowledge their span records',
      registers,
      collect() {
        this.set(self.inflight)
      },
    })
    new Gauge({
      name: 'privpath_collector_queue_bytes',
      help: 'Body bytes of requests being received (as declared) or waiting for Kafka (after decompression)',
      registers,
      collect() {
        this.set(self.inflightBytes)
      },
    })
  }

  reserve(bytes: number): void {
    if (this.inflight >= this.options.maxInflightRequests) throw this.full(bytes)
    this.resize(0, bytes)
    this.inflight++
  }

  resize(from: number, to: number): void {
    const others = this.inflightBytes - from
    if (to > from && others > 0 && others + to > (this.options.maxInflightBytes ?? Number.POSITIVE_INFINITY)) throw this.full(to)
    this.inflightBytes += to - from
  }

  private full(bytes: number): PrivpathError {
    return new PrivpathError(
      'PP_ERR_QUEUE_FULL',
      `collector has ${this.inflight} requests (${this.inflightBytes} bytes) waiting for Kafka, this one needs ${bytes} bytes; retry later`,
      { retryAfterSeconds: 1 },
    )
  }

  release(bytes: number): void {
    this.inflight--
    this.inflightBytes -= bytes
  }

  async append(entry: { signal: RecordSignal; tenant: string; body: Uint8Array; format: BodyFormat }, request: DecodedRequest | undefined): Promise<number> {
    const decoded = request ?? this.options.decode(entry.signal, entry.body, entry.format)
    const records = this.options.map(entry.signal, decoded, { authTenant: entry.tenant, observedAt: (this.options.now ?? Date.now)() })
    const messages: Array<BusMessage<SpanRecordValue>> = records.map((record) => {
      const value = toSpanValue(record)
      return { key: spanKey(value), value }
    })
    await this.options.bus.publish('spans', messages)
    this.published.inc(messages.length)
    return 0
  }

  accept(item: { bytes: number }): void {
    this.release(item.bytes)
  }

  depth(): number {
    return this.inflight
  }
}
