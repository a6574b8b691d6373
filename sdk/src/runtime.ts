/**
 * What every recording function needs: where spans go and whether content may be recorded. The
 * tracer is resolved on each call so a provider registered after import (setupPrivpath, a test
 * harness) is picked up.
 */
import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api'

const SDK_NAME = '@privpath/sdk'
const SDK_VERSION = '0.1.0'

export interface PrivpathOptions {
  /** Record prompt text, reasoning text and tool arguments/results. Off by default: content may hold secrets and personal data. */
  captureContent?: boolean
  /** Where spans go; the globally registered provider when absent. */
  tracerProvider?: TracerProvider
}

export interface Runtime {
  tracer(): Tracer
  captureContent(): boolean
}

export function createRuntime(options: PrivpathOptions): Runtime & { update(next: PrivpathOptions): void } {
  let captureContent = options.captureContent ?? false
  let provider = options.tracerProvider
  return {
    tracer: () => (provider ?? trace.getTracerProvider()).getTracer(SDK_NAME, SDK_VERSION),
    captureContent: () => captureContent,
    update(next) {
      if (next.captureContent !== undefined) captureContent = next.captureContent
      if ('tracerProvider' in next) provider = next.tracerProvider
    },
  }
}
