/**
 * Alert delivery: Slack and generic webhooks, the `delivery` role.
 *
 * In: alert versions from bus topic `alerts` (consumer group `delivery`). Routes pick sinks per
 * alert (severity, tenants, tags, a JSONata `when`; rate limits, per tenant, fold the excess into digests).
 * Each chosen sink gets the alert in its durable outbox (`<data_dir>/outbox/<sink>/pending`,
 * one process per data directory: a lock file says which) before the bus batch is acknowledged;
 * a per-sink worker then sends it with retries (full-jitter backoff, `Retry-After`), coalescing
 * newer versions of a pending alert, and dead-letters what cannot be delivered
 * (`<data_dir>/outbox/<sink>/dead`, redeliverable).
 * Out: Slack messages (threaded per incident in bot mode), signed JSON webhooks,
 * `GET /api/deliveries` and `POST /api/deliveries/redeliver` (admin key), `privpath_delivery_*`
 * metrics.
 * Not here: raising alerts (detector), storing them (writer), e-mail or PagerDuty sinks, one outbox
 * shared by several processes (each delivery replica owns the outbox in its own data directory).
 *
 * Folders: `routing/` (routes, rate limits and digests), `outbox/` (durable queue, worker,
 * backoff), `slack/` and `webhook/` (the sinks), `http.ts` (how sinks speak HTTP).
 */
export { startDelivery } from './service.js'
export type { DeliveryControl } from './service.js'
export { deliveryRoutes } from './routes.js'

export { idempotencyKey } from './sink.js'
export type { Notification } from './sink.js'
export { assertSinks, createSink } from './factory.js'
export { secretScrubber, sinkSecrets } from './redact.js'
export { OutboxStore } from './outbox/store.js'
export { lockOwner } from './outbox/lock.js'
export type { OutboxEntry } from './outbox/entry.js'
