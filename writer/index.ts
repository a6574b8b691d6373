/**
 * The writer: stores what flows on the bus.
 * In: bus topics `events` and `alerts` (consumer group `writer`). Out: rows in the ClickHouse
 * tables `events` and `alerts`, rows ClickHouse will never take in `<deadLetterDir>/<table>.ndjson`,
 * and `privpath_writer_*` metrics. A bus delivery is committed only once each of its messages is
 * inserted or dead-lettered (at-least-once; replays collapse in ReplacingMergeTree and are
 * deduplicated on read). Deliveries that arrive while a batch is filling share its insert.
 * Not here yet: concurrent inserts into one table (flushes of a table run one at a time; with
 * flushMs 0 what arrives meanwhile goes into the next), and the `credentials` topic, whose events
 * also travel on `events`.
 */
export { startWriter } from './writer.js'

export type { InsertClient } from './inserter.js'
