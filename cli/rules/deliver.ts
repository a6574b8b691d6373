/**
 * `rules replay --deliver`: hands replayed alerts to the alert delivery service (routes, sinks,
 * durable outbox) of the embedded deployment, through an in-process bus, then waits a bounded time
 * for the outbox to drain. What is still pending stays in the outbox for the next privpath process.
 * Kafka deployments are refused for now: there the delivery service runs in another process and
 * the alerts would have to go through the Kafka bus, which this command does not open yet.
 */
import type { Alert } from '../../core/alert.js'
import { type CoreTopics, MemoryBus } from '../../core/bus/index.js'
import type { Config } from '../../core/config/schema.js'
import { PrivpathError } from '../../core/errors.js'
import type { Telemetry } from '../../core/telemetry.js'
import { startDelivery } from '../../delivery/index.js'

export function checkDeliverable(config: Config): void {
  if (config.bus.kind !== 'memory') {
    throw new PrivpathError(
      'PP_ERR_BAD_REQUEST',
      `--deliver works with the embedded deployment only (bus.kind is "${config.bus.kind}"); replay without --deliver and forward the --json output instead`,
    )
  }
  if (config.alerts.sinks.length === 0) {
    throw new PrivpathError('PP_ERR_BAD_REQUEST', '--deliver needs at least one sink in alerts.sinks; none is configured')
  }
}

export interface DeliverOutcome {
  handedOver: number
  pending: number
}

export async function deliverAlerts(
  alerts: Alert[],
  options: { config: Config; telemetry: Telemetry; drainTimeoutMs?: number },
): Promise<DeliverOutcome> {
  const bus = new MemoryBus<CoreTopics>()
  const delivery = startDelivery({ bus, config: options.config, dataDir: options.config.store.data_dir, telemetry: options.telemetry })
  try {
    await delivery.ready
    // Resolves once delivery has put every alert in its durable outbox.
    await bus.publish('alerts', alerts.map((a) => ({ key: a.alert_id, value: a })))
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.drainTimeoutMs ?? 30_000)))
    try {
      await Promise.race([delivery.idle(), deadline])
    } finally {
      clearTimeout(timer)
    }
    return { handedOver: alerts.length, pending: outstanding(delivery.stats().sinks) }
  } finally {
    await delivery.stop()
    await bus.close()
  }
}

function outstanding(sinks: Array<{ pending: number; in_flight: number }>): number {
  return sinks.reduce((n, s) => n + s.pending + s.in_flight, 0)
}
