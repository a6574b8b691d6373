/**
 * An OPA upload as the write-ahead log (or Kafka's span publisher) takes it: the checked
 * decisions with their verdicts and store joins, decided once at the door. A replay after a
 * crash maps exactly what was acknowledged, whatever the store or the configured expression
 * say by then, so the events it republishes are the same events.
 */
import type { OpaDecision } from './decisions.js'
import type { DecisionJoin } from './joins.js'
import type { Verdict } from './verdict.js'

export interface BatchDecision extends OpaDecision {
  verdict: Verdict
  /** null when the store was not read or knew nothing of the trace: the correlator places it. */
  join: DecisionJoin | null
}

export interface OpaBatch {
  opa_decisions: BatchDecision[]
}

function isOpaBatch(request: unknown): request is OpaBatch {
  return typeof request === 'object' && request !== null && Array.isArray((request as Partial<OpaBatch>).opa_decisions)
}

export function encodeBatch(batch: OpaBatch): Buffer {
  return Buffer.from(JSON.stringify(batch), 'utf8')
}

/** Throws when the body is not a batch this collector wrote (the pipeline then skips the record, logged). */
export function decodeBatch(body: Uint8Array): OpaBatch {
  const batch = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as unknown
  if (!isOpaBatch(batch)) throw new Error('write-ahead log record of signal opa holds no opa_decisions')
  return batch
}
