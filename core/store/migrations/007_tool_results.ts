import type { Migration } from './migration.js'

/**
 * PrivpathEvent.tool_result and requested_calls: what a tool returned and the tool calls a
 * model's output asked for, so the detector can trace where a call's values came from after a
 * restart as well. Rows written before this step hold neither.
 */
export const TOOL_RESULT_COLUMN = "tool_result String DEFAULT '' CODEC(ZSTD(3))"
export const REQUESTED_CALLS_COLUMN = 'requested_calls Array(Tuple(call_id String, name String, arguments String)) CODEC(ZSTD(3))'

export const migration: Migration = {
  version: 7,
  name: 'tool_results',
  statements: (ddl) => {
    const add = (table: string) =>
      `ALTER TABLE ${table}${ddl.onCluster} ADD COLUMN IF NOT EXISTS ${TOOL_RESULT_COLUMN} AFTER tool_arguments, ADD COLUMN IF NOT EXISTS ${REQUESTED_CALLS_COLUMN} AFTER tool_result`
    return ddl.clustered ? [add(ddl.storage('events')), add(ddl.table('events'))] : [add(ddl.table('events'))]
  },
}
