/**
 * Self-observability handed to every component: a pino logger and a prom-client registry.
 * Both are injected (never module singletons) so tests and several roles in one process stay apart.
 * Metric names follow `privpath_<component>_<what>_<unit|total>`.
 */
import { pino, type Logger } from 'pino'
import { collectDefaultMetrics, Registry } from 'prom-client'

export type { Logger }

export interface Telemetry {
  logger: Logger
  registry: Registry
}

export function createTelemetry(options: { level?: string; defaultMetrics?: boolean } = {}): Telemetry {
  const logger = pino({
    level: options.level ?? 'info',
    base: { service: 'privpath' },
    redact: {
      paths: ['*.token', '*.secret', '*.password', '*.url', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  })
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'privpath_process_' })
  return { logger, registry }
}

/** For tests: a silent logger and a fresh registry. */
export function silentTelemetry(): Telemetry {
  return createTelemetry({ level: 'silent', defaultMetrics: false })
}
