import { describe, expect, it } from 'vitest'
import { MemoryBus } from '../../core/bus/index.js'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { capturedTelemetry } from '../../testkit/delivery.js'
import type { SpanRecord } from '../mapping/index.js'
import type { CorrelatorLike } from '../pipeline/index.js'
import { CorrelateConsumer } from './correlate-consumer.js'
import type { SpanTopics } from './topics.js'

/** Places every record at once: what is under test is what happens after correlation. */
const passThrough: CorrelatorLike<SpanRecord> = { add: (records) => records, expire: () => [], held: () => 0 }

const record = (id: string) => ({ events: [{ ...emptyEvent(), event_id: id, task_id: 'task-1' }] }) as unknown as SpanRecord

describe('correlate consumer', () => {
  it('hands a batch back to the group when publishing it fails for a reason other than stopping, and logs why', async () => {
    const { logger, lines } = capturedTelemetry()
    const bus = new MemoryBus<SpanTopics>({ retry: { baseMs: 1, maxMs: 1 } })
    const attempts: string[][] = []
    let failures = 1
    const consumer = new CorrelateConsumer({
      bus,
      correlator: passThrough,
      logger,
      expireEveryMs: 60_000,
      publisher: {
        async publish(records: ReadonlyArray<{ events: PrivpathEvent[] }>) {
          attempts.push(records.flatMap((r) => r.events.map((e) => e.event_id)))
          if (failures-- > 0) throw new TypeError('cannot order events')
        },
      },
    })
    await consumer.start()
    // resolves only once the batch was committed: after its redelivery published it
    await bus.publish('spans', [{ key: 'trace-1', value: record('e1') }, { key: 'trace-1', value: record('e2') }])
    expect(attempts).toEqual([['e1', 'e2'], ['e1', 'e2']])
    expect(lines.some((line) => line.includes('"level":50') && line.includes('the batches are redelivered') && line.includes('cannot order events'))).toBe(true)
    await consumer.stop()
    await bus.close()
  })
})
