/**
 * Delivery metrics on the injected registry. Created once per registry (a second delivery
 * service on the same registry shares them).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface DeliveryMetrics {
  attempts: Counter<'sink'>
  successes: Counter<'sink'>
  failures: Counter<'sink' | 'kind'>
  retries: Counter<'sink'>
  deadLetters: Counter<'sink'>
  coalesced: Counter<'sink'>
  duplicates: Counter<'sink'>
  digested: Counter<'route'>
  unrouted: Counter<never>
  rejected: Counter<never>
  queueDepth: Gauge<'sink'>
  duration: Histogram<'sink' | 'outcome'>
}

function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export function deliveryMetrics(registry: Registry, depth: () => Record<string, number>): DeliveryMetrics {
  const registers = [registry]
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    once(registry, name, () => new Counter<L>({ name, help, labelNames, registers }))
  return {
    attempts: counter('privpath_delivery_attempts_total', 'Requests made to sinks.', ['sink']),
    successes: counter('privpath_delivery_successes_total', 'Notifications a sink accepted.', ['sink']),
    failures: counter('privpath_delivery_failures_total', 'Failed requests, by kind (retryable, permanent).', ['sink', 'kind']),
    retries: counter('privpath_delivery_retries_total', 'Retries scheduled after a retryable failure.', ['sink']),
    deadLetters: counter('privpath_delivery_dead_letters_total', 'Entries moved to the dead letter.', ['sink']),
    coalesced: counter('privpath_delivery_coalesced_total', 'Older pending versions replaced by a newer version of the same alert.', ['sink']),
    duplicates: counter('privpath_delivery_duplicates_total', 'Alert versions not queued because that version or a newer one was already queued or delivered.', ['sink']),
    digested: counter('privpath_delivery_digested_total', 'Alert versions folded into a digest by a route rate limit.', ['route']),
    unrouted: counter('privpath_delivery_unrouted_total', 'Alerts that matched no route (still stored by the writer).', []),
    rejected: counter('privpath_delivery_rejected_total', 'Messages on topic alerts that are not valid alerts (skipped, logged).', []),
    queueDepth: once(registry, 'privpath_delivery_queue_depth', () =>
      new Gauge<'sink'>({
        name: 'privpath_delivery_queue_depth',
        help: 'Entries pending per sink (waiting, backing off or in flight).',
        labelNames: ['sink'],
        registers,
        collect() {
          for (const [sink, n] of Object.entries(depth())) this.set({ sink }, n)
        },
      }),
    ),
    duration: once(registry, 'privpath_delivery_duration_seconds', () =>
      new Histogram<'sink' | 'outcome'>({
        name: 'privpath_delivery_duration_seconds',
        help: 'Time per delivery request, by outcome (delivered, retry, permanent).',
        labelNames: ['sink', 'outcome'],
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
    ),
  }
}
