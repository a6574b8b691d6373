/**
 * Mapping: decoded OTLP export requests in, one SpanRecord per span or log record out, each with
 * its privpath events (tenant stamped, secrets redacted, content bounded, ids deterministic) and
 * what correlation needs. task_id is left '' for the correlator, which also decides delegations
 * and task boundaries (they need the parent span). Conventions: docs/conventions.md.
 * Not done yet: span links are ignored, and completion text is kept only as a bounded attribute.
 * The finishing step (finish.ts) and the clock bounds are shared with collector/opa, whose
 * decisions become events finished the same way.
 */
export { boundedTime, ORIGINAL_TS_ATTRIBUTE } from './clock.js'
export { finishDrafts, resolveOptions, resolveTenant } from './finish.js'
export type { Draft } from './finish.js'
export { mapLogRequest, mapTraceRequest } from './map.js'
export { MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTES, UNTRACED_TASK } from './record.js'
export type { MappingOptions, SpanRecord, SpanRecordValue } from './record.js'
