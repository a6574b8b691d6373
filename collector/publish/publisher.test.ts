import { describe, expect, it } from 'vitest'
import type { Bus, CoreTopics } from '../../core/bus/index.js'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { silentTelemetry } from '../../core/telemetry.js'
import { metricValue } from '../../testkit/delivery.js'
import { EventPublisher } from './publisher.js'

const event = (id: string, kind: PrivpathEvent['kind'], ts: number): PrivpathEvent => ({
  ...emptyEvent(),
  event_id: id,
  task_id: 'task-1',
  kind,
  ts,
  credential_id: kind === 'credential_issued' ? 'cred-1' : '',
})

/** A bus whose first `failures` publishes reject. */
function flakyBus(failures: number) {
  const published: Array<{ topic: string; keys: string[] }> = []
  let calls = 0
  const bus: Pick<Bus<CoreTopics>, 'publish'> = {
    async publish(topic, messages) {
      if (++calls <= failures) throw new Error('broker unavailable')
      published.push({ topic, keys: messages.map((m) => m.key) })
    },
  }
  return { bus, published }
}

describe('event publisher', () => {
  it('publishes events by task and credential events by credential, in event time, retrying until the bus takes them', async () => {
    const { logger, registry } = silentTelemetry()
    // the first attempt's two publishes fail, then the second attempt's events publish
    const { bus, published } = flakyBus(3)
    const publisher = new EventPublisher({ bus, logger, registry, backoff: { baseMs: 1, maxMs: 1 } })
    await publisher.publish([{ events: [event('b', 'tool_invocation', 2), event('a', 'credential_issued', 1)] }])
    expect(published).toContainEqual({ topic: 'events', keys: ['task-1', 'task-1'] })
    expect(published).toContainEqual({ topic: 'credentials', keys: ['cred-1'] })
    expect(await metricValue(registry, 'privpath_collector_publish_failures_total')).toBe(2)
    expect(await metricValue(registry, 'privpath_collector_events_published_total', { topic: 'events' })).toBe(2)
    expect(await metricValue(registry, 'privpath_collector_events_published_total', { topic: 'credentials' })).toBe(1)
  })

  it('publishes nothing for records without events, and rejects once its signal aborts', async () => {
    const { logger, registry } = silentTelemetry()
    const { bus, published } = flakyBus(Number.POSITIVE_INFINITY)
    const publisher = new EventPublisher({ bus, logger, registry, backoff: { baseMs: 1, maxMs: 1 } })
    await publisher.publish([{ events: [] }])
    const stopping = new AbortController()
    const pending = publisher.publish([{ events: [event('a', 'tool_invocation', 1)] }], stopping.signal)
    stopping.abort(new Error('stopped'))
    await expect(pending).rejects.toThrow('stopped')
    expect(published).toEqual([])
  })
})
