/**
 * Rebuild source after a restart, from the store: the events the detector's state depends on,
 * each in its isolation domain (which rows, and how they are paged: history-query.ts). Two forms:
 * - `clickhouseState`, for the start-up restore: pages of whole tasks, each task's rows oldest
 *   first, each row carrying only the fields state folds in (history-rows.ts: no prompts, tool
 *   arguments or results), its repeated strings shared, and whether its task gets task state or
 *   only the registry takes it;
 * - `clickhouseHistory`, whole events in time order (the store's row encoding,
 *   core/store/rows.ts), for stepping through the rules when a member gains partitions (rebuild.ts).
 * Both read about `pageRows` rows at a time: the embedded store hands each result over whole, and
 * one query over the window held every row in memory at once.
 */
import { randomUUID } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import type { PrivpathEvent } from '../core/event.js'
import { EVENT_SELECT, rowToEvent } from '../core/store/rows.js'
import type { DetectorConfig } from './config.js'
import { dropStatements, newestQuery, pageQuery, pagesQuery, planQuery, sliceQuery, slices, taskSetStatements, type HistoryWindow, type PageStart, type Plan, type TaskSets } from './history-query.js'
import { RowBinaryReader } from './history-binary.js'
import { checkStateHeader, STATE_SELECT, StateDecoder } from './history-rows.js'

export interface HistoryOptions {
  hours?: number
  /** How far back credential issues and revocations are read (detector.credential_tombstone_ms); at least `hours`. */
  tombstoneHours?: number
  /** detector.task_inactivity_ms: open tasks idle this long before their domain's newest event are left out; 0 (default): none is. */
  inactivityMs?: number
  /** detector.task_retention_ms: ended tasks that ended longer ago get no task state; default: every ended task of the window gets it. */
  retentionMs?: number
  /** detector.max_tasks: at most this many open tasks per domain, the most recently active; default: no bound. */
  maxTasks?: number
  /** Rows per read; default 50,000 for state rows, 5,000 for whole events. */
  pageRows?: number
  /**
   * The store runs in this process (chDB): after a read, the memory its queries freed is handed
   * back to the system. Its allocator keeps it otherwise, and a rebuild's reads leave about as
   * much again as the detector's state (docs/benchmarks.md, bench:restart).
   */
  embedded?: boolean
}

/** A row of the start-up restore: an event with the fields state reads, and whether its task gets task state. */
export interface StateRow {
  event: PrivpathEvent
  task: boolean
}

async function window(client: ClickHouseClient, database: string, options: HistoryOptions): Promise<HistoryWindow> {
  const hours = options.hours ?? 24
  const newest = new Map<string, number>()
  const result = await client.query({ query: newestQuery({ database, hours }), format: 'JSONEachRow' })
  for (const row of await result.json<{ domain: string; newest: number | string }>()) newest.set(row.domain, Number(row.newest))
  return {
    database,
    hours,
    tombstoneHours: options.tombstoneHours ?? hours,
    inactivityMs: options.inactivityMs ?? 0,
    retentionMs: options.retentionMs,
    maxTasks: options.maxTasks,
    newest,
  }
}

/**
 * `read`'s output, with the window's task sets in temporary tables for it: one session (a server
 * keeps temporary tables per session; chDB has one), the tables dropped at the end.
 */
async function* withTaskSets<T>(
  client: ClickHouseClient,
  options: HistoryOptions,
  database: string,
  read: (w: HistoryWindow, sets: TaskSets, session: string) => AsyncGenerator<T>,
): AsyncGenerator<T> {
  const session = randomUUID()
  const suffix = session.replace(/-/g, '')
  const sets = { held: `privpath_history_held_${suffix}`, ended: `privpath_history_ended_${suffix}` }
  const w = await window(client, database, options)
  try {
    for (const { query, params } of taskSetStatements(w, sets)) await client.command({ query, query_params: params, session_id: session })
    yield* read(w, sets, session)
  } finally {
    for (const query of dropStatements(sets)) await client.command({ query, session_id: session })
    // a build without jemalloc refuses the statement: nothing to hand back then
    if (options.embedded) await client.command({ query: 'SYSTEM JEMALLOC PURGE' }).catch(() => undefined)
  }
}

/** Whole events in time order, for stepping through the rules (a rebalance's rebuild). */
export function clickhouseHistory(client: ClickHouseClient, database: string, options: HistoryOptions = {}): () => AsyncIterable<PrivpathEvent> {
  return () =>
    withTaskSets(client, options, database, async function* (w, sets, session) {
      const [plan] = await (await client.query({ query: planQuery(w, sets), format: 'JSONEachRow', session_id: session })).json<Plan>()
      if (plan === undefined) return
      const bounds = slices({ rows: Number(plan.rows), oldest: Number(plan.oldest), newest: Number(plan.newest), steps: plan.steps.map(Number) }, options.pageRows ?? 5_000)
      for (const [from, to] of bounds) {
        const { query, params } = sliceQuery(w, sets, EVENT_SELECT, from, to)
        const result = await client.query({ query, query_params: params, format: 'JSONEachRow', session_id: session })
        for await (const rows of result.stream()) {
          for (const row of rows) yield rowToEvent(row.json() as Record<string, unknown>)
        }
      }
    })
}

/**
 * State rows for the start-up restore (DetectorEngine.restore), a page at a time. A task's rows
 * come together, oldest first; tasks come in key order, not in time order.
 */
export function clickhouseState(client: ClickHouseClient, database: string, options: HistoryOptions = {}): () => AsyncIterable<Iterable<StateRow>> {
  return () =>
    withTaskSets(client, options, database, async function* (w, sets, session) {
      const starts = await (await client.query({ query: pagesQuery(w, sets, options.pageRows ?? 50_000), format: 'JSONEachRow', session_id: session })).json<{ start: PageStart }>()
      // one decoder for the whole restore: ids and names are shared across pages
      const decoder = new StateDecoder()
      for (let i = 0; i < starts.length; i++) {
        const { query, params } = pageQuery(w, sets, STATE_SELECT, starts[i].start, starts[i + 1]?.start, true)
        // raw bytes: the client's text() decodes in its slow streaming mode, and RowBinary is not one of its formats
        const { stream } = await client.exec({
          query: `${query}\nFORMAT RowBinaryWithNamesAndTypes`,
          query_params: params,
          session_id: session,
          // a server reports a failure in the status, not halfway through the body
          clickhouse_settings: { wait_end_of_query: 1 },
        })
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        yield stateRows(new RowBinaryReader(Buffer.concat(chunks)), decoder)
      }
    })
}

/**
 * A page's rows, decoded one at a time as they are taken: what a row leaves behind once folded in
 * is garbage at once (not a page's worth of rows surviving collections).
 */
function* stateRows(reader: RowBinaryReader, decoder: StateDecoder): Generator<StateRow> {
  if (reader.done) return
  checkStateHeader(reader.header(), HELD_COLUMN)
  while (!reader.done) {
    const event = decoder.event(reader)
    yield { event, task: reader.uint8() === 1 }
  }
}

const HELD_COLUMN = ['state_held', 'UInt8'] as const

/** Both sources as the detector role uses them, for the windows its settings keep state for. */
export function storeHistory(
  client: ClickHouseClient,
  database: string,
  config: DetectorConfig,
  embedded = false,
): { loadHistory: () => AsyncIterable<PrivpathEvent>; loadState: () => AsyncIterable<Iterable<StateRow>> } {
  const options: HistoryOptions = {
    tombstoneHours: config.credential_tombstone_ms / 3_600_000,
    inactivityMs: config.task_inactivity_ms,
    retentionMs: config.task_retention_ms,
    maxTasks: config.max_tasks,
    embedded,
  }
  return { loadHistory: clickhouseHistory(client, database, options), loadState: clickhouseState(client, database, options) }
}
