/**
 * Alert delivery: Slack and generic webhooks.
 *
 * In: alert versions from bus topic `alerts` (group `delivery`). Routes pick sinks per alert
 * (severity, tenants, tags, JSONata; rate limits fold the excess into digests). Each chosen sink
 * gets the alert in its durable outbox (`<data_dir>/outbox/<sink>/pending`) before the bus batch is
 * acknowledged; a per-sink worker then sends it with retries (full-jitter backoff, `Retry-After`),
 * coalescing newer versions of a pending alert, and dead-letters what cannot be delivered
 * (`<data_dir>/outbox/<sink>/dead`, redeliverable). Out: Slack messages (threaded per incident in
 * bot mode), signed JSON webhooks, `GET /api/deliveries`, `privpath_delivery_*` metrics.
 * Not here: storing alerts (the writer does), e-mail/PagerDuty sinks, delivery across several
 * delivery processes sharing one outbox (one process owns a data directory).
 */
export { startDelivery, DELIVERY_GROUP } from './delivery.js'
export type { Delivery, DeliveryControl, DeliveryOptions, DeliveryStats, SinkStats } from './delivery.js'
export { deliveryRoutes, summarise } from './api.js'
export type { EntrySummary } from './api.js'
export { MemorySink, idempotencyKey } from './sink.js'
export type { Digest, DigestItem, Notification, SendContext, SendOutcome, Sink } from './sink.js'
export { createSink, assertSinks, sinkProblems } from './factory.js'
export { SlackSink } from './slack/sink.js'
export { WebhookSink } from './webhook/sink.js'
export { SIGNATURE_HEADER, signBody, verifySignature, webhookPayload, WEBHOOK_SCHEMA_VERSION } from './webhook/payload.js'
export { Router } from './routing/router.js'
export { redactConfig, redactSink, secretScrubber, sinkSecrets } from './redact.js'
export { OutboxStore } from './outbox/store.js'
export { lockOwner } from './outbox/lock.js'
export type { OutboxEntry } from './outbox/entry.js'
