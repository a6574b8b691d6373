/**
 * The collector's write-ahead log: what makes an OTLP 200 mean "durable".
 *
 * In: accepted request bodies (with signal, format and auth tenant). Out: a log sequence number
 * (LSN) once an fsync covers the record, and, on open, the records not yet checkpointed so the
 * pipeline can replay them. Appends are group-committed: one write + fdatasync covers every record
 * that arrived while the previous sync ran. A record is checkpointed when the pipeline reports it
 * complete (all its events published and resolved by the bus); the checkpoint is the highest LSN
 * below which everything is complete, and segments wholly below it are deleted.
 * Not here: compression of segments, or a size cap (backpressure comes from the pipeline's queue).
 */
export { WriteAheadLog } from './wal.js'
export type { WalOptions } from './wal.js'
export type { BodyFormat, RecordSignal, Signal, WalEntry, WalRecord } from './record.js'
