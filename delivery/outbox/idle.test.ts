/** OutboxWorker.idle(): what `rules replay --deliver` and the delivery tests await instead of polling or sleeping. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { capturedTelemetry, makeAlert } from '../../testkit/delivery.js'
import { waitFor } from '../../testkit/wait.js'
import { deliveryMetrics } from '../metrics.js'
import { newEntry } from './entry.js'
import { OutboxStore } from './store.js'
import { OutboxWorker } from './worker.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

describe('idle', () => {
  it('resolves once nothing is pending or in flight, not when one of two sends ends', async () => {
    const gate = () => {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      return { promise, resolve }
    }
    const gates = [gate(), gate()]
    let sends = 0
    let bothSent!: () => void
    const sending = new Promise<void>((resolve) => (bothSent = resolve))
    const sink = {
      name: 'held',
      type: 'memory',
      async send() {
        const held = gates[sends++]
        if (sends === 2) bothSent()
        await held.promise
        return { status: 'delivered' as const }
      },
    }
    const telemetry = capturedTelemetry()
    const worker = new OutboxWorker({
      sink,
      store: await OutboxStore.open(mkdtempSync(join(tmpdir(), 'pp-idle-'))),
      logger: telemetry.logger,
      metrics: deliveryMetrics(telemetry.registry, () => ({})),
      publicUrl: '',
      concurrency: 2,
      maxAttempts: 3,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      scrub: (t) => t,
    })
    await worker.start()
    cleanup.push(async () => {
      for (const gate of gates) gate.resolve()
      await worker.stop()
    })
    await worker.idle() // nothing to do yet: resolves at once
    const alert = (key: string) => newEntry('held', { kind: 'alert', alert: makeAlert({ dedup_key: key }) }, ['default'], 1)
    await worker.enqueue([alert('a'), alert('b')])
    let idle = false
    const settled = worker.idle().then(() => void (idle = true))
    await sending
    gates[0].resolve()
    await waitFor(() => worker.inFlightCount === 1, 5_000, 'the first send to end')
    expect(idle).toBe(false)
    gates[1].resolve()
    await settled
    expect(worker.counters.delivered).toBe(2)
    expect(worker.depth + worker.inFlightCount).toBe(0)
  })
})
