/**
 * The delivery role: bus topic `alerts` (group `delivery`) → routes → durable outboxes → Slack and
 * webhooks, and `/api/deliveries` for operators. Its outboxes live in this process's data
 * directory, which it locks.
 */
import { deliveryRoutes, startDelivery } from '../../delivery/index.js'
import type { StartRole } from '../role.js'

export const startDeliveryRole: StartRole = async ({ config, bus, auth, telemetry }) => {
  const delivery = startDelivery({ bus, config, dataDir: config.store.data_dir, telemetry })
  try {
    await delivery.ready
  } catch (error) {
    await delivery.stop().catch(() => undefined)
    throw error
  }
  return {
    plugin: deliveryRoutes({ control: delivery, auth }),
    checks: () => ({ delivery: true }),
    stop: () => delivery.stop(),
  }
}
