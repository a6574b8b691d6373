/**
 * The collector's last step in both topologies: placed records onto the bus, their events on
 * `events`, credential events and task_end also on `credentials` (messages.ts), retried with the backoff
 * policy (core/retry.ts) until the bus takes them. Whoever calls it keeps the records' source
 * unacknowledged meanwhile (the WAL record, or the `spans` batch on Kafka), so a retry loses
 * nothing; an aborted publish rejects and leaves that source to be handled again.
 */
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import type { Bus, CoreTopics } from '../../core/bus/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import { type BackoffPolicy, retry } from '../../core/retry.js'
import { eventMessages } from './messages.js'

/** Waits between publish attempts: a bus that is back is used within seconds, a bus that is down is not hammered. */
const PUBLISH_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 10_000 }

export interface EventPublisherOptions {
  bus: Pick<Bus<Pick<CoreTopics, 'events' | 'credentials'>>, 'publish'>
  logger: Logger
  registry: Registry
  backoff?: BackoffPolicy
}

export class EventPublisher {
  private readonly published: Counter
  private readonly failures: Counter

  constructor(private readonly options: EventPublisherOptions) {
    const registers = [options.registry]
    this.published = new Counter({
      name: 'privpath_collector_events_published_total',
      help: 'Events published on the bus (credentials topic counted separately)',
      labelNames: ['topic'],
      registers,
    })
    this.failures = new Counter({
      name: 'privpath_collector_publish_failures_total',
      help: 'Bus publishes that failed and were retried',
      registers,
    })
  }

  /** Resolves once the bus holds every message of `records`; rejects only when `signal` aborts. */
  async publish(records: ReadonlyArray<{ events: PrivpathEvent[] }>, signal?: AbortSignal): Promise<void> {
    const { events, credentials } = eventMessages(records)
    if (events.length === 0) return
    const { bus, logger } = this.options
    await retry(
      () => Promise.all([bus.publish('events', events), credentials.length > 0 ? bus.publish('credentials', credentials) : undefined]),
      {
        ...(this.options.backoff ?? PUBLISH_BACKOFF),
        signal,
        onRetry: (error, attempt, delayMs) => {
          this.failures.inc()
          logger.warn({ err: error, attempt, delayMs, events: events.length }, 'bus publish failed; retrying')
        },
      },
    )
    this.published.inc({ topic: 'events' }, events.length)
    if (credentials.length > 0) this.published.inc({ topic: 'credentials' }, credentials.length)
  }
}
