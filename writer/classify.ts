/**
 * What an insert failure means for the rows in it:
 * - `transient`: the server or network is having a moment; retry the same batch.
 * - `too_large`: this batch is too big to insert at once; insert its halves.
 * - `malformed`: some row in it can never be inserted; halve until that row stands alone.
 * - `fatal`: nothing about the rows (missing table, access denied); fail and let the bus redeliver.
 */

/**
 * A ClickHouse answer carries its numeric error code as a string. Checked by shape rather than
 * `instanceof`: chDB raises the error class of `@clickhouse/client-common`, the HTTP client that
 * of its own bundled copy, and the two classes are distinct.
 */
interface ClickHouseAnswer {
  code: string
  type?: string
  message: string
}

function isClickHouseAnswer(error: unknown): error is ClickHouseAnswer {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined
  return typeof code === 'string' && /^\d+$/.test(code)
}

export type InsertFailure = 'transient' | 'too_large' | 'malformed' | 'fatal'

const TRANSIENT_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (replica switching)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  236, // ABORTED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS (merges behind)
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
])

const TOO_LARGE_CODES = new Set([
  241, // MEMORY_LIMIT_EXCEEDED
])

const MALFORMED_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  33, // CANNOT_READ_ALL_DATA (a binary body shorter than its rows and columns say)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
])

export function classifyInsertError(error: unknown): InsertFailure {
  if (isClickHouseAnswer(error)) {
    const code = Number(error.code)
    // One INSERT block may touch at most max_partitions_per_insert_block partitions (days of ts):
    // fewer rows per block touch fewer days.
    if (code === 252 && /partitions for single insert block/i.test(error.message)) return 'too_large'
    if (TOO_LARGE_CODES.has(code)) return 'too_large'
    if (MALFORMED_CODES.has(code) || error.type?.startsWith('CANNOT_PARSE')) return 'malformed'
    if (TRANSIENT_CODES.has(code)) return 'transient'
    return 'fatal'
  }
  const message = error instanceof Error ? error.message : String(error)
  if (/\b413\b|payload too large|request entity too large/i.test(message)) return 'too_large'
  // Anything that is not an answer from ClickHouse is the connection: refused, reset, timed out.
  return 'transient'
}
