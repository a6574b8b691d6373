/**
 * OPA decision logs: `POST /v1/opa/logs`, where OPA's decision log plugin uploads (gzip JSON
 * arrays of decision events, bearer token = tenant key), in; one authz_decision event per
 * decision, out through the collector's own path (write-ahead log or Kafka, correlate, publish).
 * At the door (receiver.ts): the upload is checked field by field (decisions.ts: 400 naming the
 * field, nothing kept), each decision's verdict read (verdict.ts: a boolean result, result.allow,
 * or collector.opa_result_expression) and, when this process has the store, joined to the tool
 * call or task of its trace (joins.ts); the settled batch (batch.ts) is made durable before the
 * 200. In the pipeline: mapped to events (map.ts), placed by the correlator under the span the
 * decision names. Configuring OPA: docs/opa.md.
 * Not here: judging late decisions (detector/engine/late-decisions.ts).
 */
export { decodeBatch } from './batch.js'
export type { OpaBatch } from './batch.js'
export { storePlacements } from './joins.js'
export type { PlacementLookup } from './joins.js'
export { mapOpaBatch } from './map.js'
export { opaReceiver } from './receiver.js'
