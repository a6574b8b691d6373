/**
 * What every recording function needs: where spans go and whether content may be recorded, and
 * where decisions are asked. The tracer is resolved on each call so a provider registered after
 * import (setupPrivpath, a test harness) is picked up.
 */
import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api'
import type { DecisionOptions } from './decision.js'

const SDK_NAME = '@privpath/sdk'
const SDK_VERSION = '0.1.0'

export interface PrivpathOptions {
  /** Record prompt text, reasoning text and tool arguments/results. Off by default: content may hold secrets and personal data. */
  captureContent?: boolean
  /** Where spans go; the globally registered provider when absent. */
  tracerProvider?: TracerProvider
  /** Where and how `guard` and `toolCall(name, { check: true })` ask privpath; merged field by field. */
  decisions?: DecisionOptions
}

export interface Runtime {
  tracer(): Tracer
  captureContent(): boolean
  decisions(): DecisionOptions
}

export function createRuntime(options: PrivpathOptions): Runtime & { update(next: PrivpathOptions): void } {
  let captureContent = options.captureContent ?? false
  let provider = options.tracerProvider
  let decisions: DecisionOptions = { ...options.decisions }
  return {
    tracer: () => (provider ?? trace.getTracerProvider()).getTracer(SDK_NAME, SDK_VERSION),
    captureContent: () => captureContent,
    decisions: () => decisions,
    update(next) {
      if (next.captureContent !== undefined) captureContent = next.captureContent
      if ('tracerProvider' in next) provider = next.tracerProvider
      if (next.decisions !== undefined) decisions = { ...decisions, ...next.decisions }
    },
  }
}
