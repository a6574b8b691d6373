/**
 * Child process for the crash test: starts delivery on a data directory with one webhook sink,
 * publishes alerts `from`..`to` (each in `versions` versions) and prints `queued <n>` once the bus
 * has acknowledged them (they are in the outbox), then keeps delivering until killed.
 * Usage: crash-child.ts <data_dir> <receiver_url> <from> <to> <versions>
 */
import { type CoreTopics, MemoryBus } from '../core/bus/index.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry } from '../core/telemetry.js'
import { startDelivery } from '../delivery/service.js'
import { makeAlert, repeatOf } from './delivery.js'

const [dataDir, url, from, to, versions] = process.argv.slice(2)
const config = validateConfig({
  alerts: {
    sinks: [{ name: 'hook', type: 'webhook', url, secret: 'crash-secret', backoff_base_ms: 20, backoff_max_ms: 150, max_attempts: 1000, concurrency: 4 }],
  },
})
const bus = new MemoryBus<CoreTopics>()
const delivery = startDelivery({ bus, config, dataDir, telemetry: silentTelemetry() })
await delivery.ready
let queued = 0
for (let i = Number(from); i < Number(to); i++) {
  let alert = makeAlert({ dedup_key: `crash-${i}`, task_id: `task-${i}` })
  for (let v = 0; v < Number(versions); v++) {
    await bus.publish('alerts', [{ key: alert.alert_id, value: alert }])
    alert = repeatOf(alert)
  }
  queued++
}
process.stdout.write(`queued ${queued}\n`)
setInterval(() => process.stdout.write(`pending ${delivery.stats().sinks[0].pending}\n`), 50)
