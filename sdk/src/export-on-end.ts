/**
 * Exports the spans a decision may depend on as they end instead of on the batch timer (5 s by
 * default): privpath waits for the span a decision request names before deciding, so that wait
 * is as short as the export. Everything else keeps batching; it rides along when a flush happens.
 */
import type { Context, Span } from '@opentelemetry/api'
import { isDecisionRelevant, type EndedSpan } from './relevant.js'

/** The processor being wrapped, structurally (a `BatchSpanProcessor` of `@opentelemetry/sdk-trace-base`). */
export interface WrappedSpanProcessor {
  onStart(span: Span, parentContext: Context): void
  onEnd(span: EndedSpan): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}

/**
 * Processors with an export started or queued. Module-wide so `guard` can wait for them without
 * knowing which provider recorded the task; a processor leaves the set when it is idle, so
 * discarded providers are not kept alive.
 */
const busy = new Set<ExportOnEndSpanProcessor>()

/**
 * Wraps a batching processor: hands every span to it, and after a decision-relevant span asks it
 * to flush. Flushes are coalesced: one in flight and at most one queued behind it, which every
 * span ending meanwhile joins, so a burst of spans costs two exports, not one per span.
 */
export class ExportOnEndSpanProcessor {
  private inFlight: Promise<void> | undefined
  private queued: Promise<void> | undefined

  constructor(private readonly inner: WrappedSpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext)
  }

  onEnd(span: EndedSpan): void {
    // The span must be in the batch before the flush that is meant to carry it.
    this.inner.onEnd(span)
    if (isDecisionRelevant(span)) this.exportSoon()
  }

  /** Also waits for flushes this processor started, so "flushed" means every ended span was exported. */
  forceFlush(): Promise<void> {
    return Promise.all([this.exported(), this.inner.forceFlush()]).then(() => undefined)
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  /** Settles when every relevant span ended so far has been exported (or its export failed). */
  exported(): Promise<void> {
    return this.queued ?? this.inFlight ?? Promise.resolve()
  }

  private exportSoon(): void {
    // A queued flush has not started yet, so it will carry this span too.
    if (this.queued !== undefined) return
    busy.add(this)
    if (this.inFlight === undefined) {
      this.inFlight = this.flush()
      return
    }
    // A flush already running took its batch before this span ended; queue one behind it.
    this.queued = this.inFlight.then(() => {
      this.queued = undefined
      this.inFlight = this.flush()
      return this.inFlight
    })
  }

  private flush(): Promise<void> {
    const round: Promise<void> = this.inner
      .forceFlush()
      // A failed export is the exporter's to report (OTel diag); a waiting decision only needs
      // to know the attempt is over.
      .catch(() => undefined)
      .then(() => {
        if (this.inFlight !== round) return
        this.inFlight = undefined
        if (this.queued === undefined) busy.delete(this)
      })
    return round
  }
}

/**
 * Settles when the relevant spans ended so far in this process have been exported, so a
 * decision request naming one of them finds it at privpath (or as close as the export allows).
 * Spans ending after the call are not waited for, so a busy process cannot hold a decision back.
 */
export function relevantSpansExported(): Promise<void> {
  return Promise.all([...busy].map((processor) => processor.exported())).then(() => undefined)
}
