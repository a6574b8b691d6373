/**
 * Copies the task baggage (`agent.task.id`, `tenant.id`) onto every span started in its context,
 * including spans from other libraries (HTTP clients, frameworks) and from downstream services
 * that received the baggage, so the collector can place them in the task. Attributes a span
 * already carries are kept: a disagreement between the two is evidence, not noise. It also notes
 * each task's last decision-relevant span as it ends: it sees every span, the SDK's and other
 * libraries', which is what a decision's `after_span_id` must name.
 */
import { propagation, type Attributes, type Context, type Span } from '@opentelemetry/api'
import { BAGGAGE_TASK_ID, BAGGAGE_TENANT_ID } from './attributes.js'
import { noteEnded, type EndedSpan } from './relevant.js'

const COPIED = [BAGGAGE_TASK_ID, BAGGAGE_TENANT_ID] as const

/** A `SpanProcessor` for `@opentelemetry/sdk-trace-base` / `sdk-node` (structurally typed, so the SDK needs only the API). */
export class TaskAttributesSpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const baggage = propagation.getBaggage(parentContext)
    if (baggage === undefined) return
    const present: Attributes = (span as Partial<{ attributes: Attributes }>).attributes ?? {}
    for (const key of COPIED) {
      const value = baggage.getEntry(key)?.value
      if (value !== undefined && value !== '' && present[key] === undefined) span.setAttribute(key, value)
    }
  }

  onEnd(span: EndedSpan): void {
    noteEnded(span)
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
