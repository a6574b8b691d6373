/**
 * Alert delivery, measured side by side in one run:
 *  - acknowledgement rate (alerts/s the bus sees accepted into the durable outbox) with alerts
 *    published one per batch vs 100 per batch (the fsync cost per batch);
 *  - the same with a healthy sink vs a sink that answers 503 (an outage must not slow acceptance);
 *  - end-to-end delivery rate to a healthy sink alone vs next to a sink that never answers.
 *
 *   npm run bench:delivery           # 2000 alerts (BENCH_ALERTS to change)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CoreTopics, MemoryBus } from '../core/bus/index.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry } from '../core/telemetry.js'
import { startDelivery } from '../delivery/service.js'
import { makeAlert, type Receiver, startReceiver } from '../testkit/delivery.js'
import { waitFor } from '../testkit/wait.js'

const ALERTS = Number(process.env.BENCH_ALERTS ?? 2_000)

interface Run {
  accepted: number
  delivered: number
}

async function run(label: string, sinks: Array<{ name: string; receiver: Receiver }>, batch: number, waitDeliveredBy?: string): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pp-bench-delivery-'))
  const config = validateConfig({
    alerts: { sinks: sinks.map(({ name, receiver }) => ({ name, type: 'webhook', url: `${receiver.url}/h`, timeout_ms: 30_000, concurrency: 8 })) },
  })
  const bus = new MemoryBus<CoreTopics>()
  const delivery = startDelivery({ bus, config, dataDir, telemetry: silentTelemetry() })
  await delivery.ready
  const alerts = Array.from({ length: ALERTS }, (_, i) => makeAlert({ dedup_key: `bench-${i}` }))
  const started = performance.now()
  for (let i = 0; i < alerts.length; i += batch) {
    await bus.publish('alerts', alerts.slice(i, i + batch).map((value) => ({ key: value.alert_id, value })))
  }
  const acceptedMs = performance.now() - started
  let deliveredMs = Number.NaN
  if (waitDeliveredBy) {
    await waitFor(() => delivery.stats().sinks.find((s) => s.name === waitDeliveredBy)!.counters.delivered === ALERTS, 120_000, 'delivery')
    deliveredMs = performance.now() - started
  }
  await delivery.stop()
  await bus.close()
  rmSync(dataDir, { recursive: true, force: true })
  const accepted = ALERTS / (acceptedMs / 1000)
  const delivered = ALERTS / (deliveredMs / 1000)
  const fmt = (n: number) => (Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US')).padStart(10)
  console.log(`${label.padEnd(44)} accepted ${fmt(accepted)} /s   delivered ${fmt(delivered)} /s`)
  return { accepted, delivered }
}

const healthy = await startReceiver()
const down = await startReceiver(() => ({ status: 503 }))
const hanging = await startReceiver(() => ({ status: 200, delayMs: 60_000 }))

console.log(`delivery bench: ${ALERTS} alerts, node ${process.version}`)
const single = await run('healthy sink, 1 alert per batch', [{ name: 'a', receiver: healthy }], 1)
const batched = await run('healthy sink, 100 alerts per batch', [{ name: 'a', receiver: healthy }], 100, 'a')
const outage = await run('sink in outage (503), 100 per batch', [{ name: 'a', receiver: down }], 100)
const beside = await run('healthy sink beside a hanging one, 100/batch', [{ name: 'a', receiver: healthy }, { name: 'b', receiver: hanging }], 100, 'a')

console.log('')
console.log(`batching gain (100 vs 1 per batch)              ${(batched.accepted / single.accepted).toFixed(2)}×`)
console.log(`acceptance during an outage vs healthy          ${(outage.accepted / batched.accepted).toFixed(2)}×`)
console.log(`healthy delivery beside a hanging sink vs alone ${(beside.delivered / batched.delivered).toFixed(2)}×`)

await Promise.all([healthy.close(), down.close(), hanging.close()])
