/**
 * Rebuilding the tasks of partitions a detector gains in a rebalance (the bus's `onAssigned`).
 * In: the partitions owned after each rebalance. Out: their tasks' events stepped through the
 * engine before their batches, from the store when there is one (authoritative, includes what
 * other members handled) or else from a replay of the bus. Not here: restricting the store's
 * history to the gained partitions (every task not held is restored).
 */
import type { Logger } from 'pino'
import type { PrivpathEvent } from '../core/event.js'
import type { DetectorEngine } from './engine/engine.js'

export interface PartitionRebuildOptions {
  engine: DetectorEngine
  /** The service's chain: rebuilding never overlaps batches, ticks or reloads. */
  serial: <T>(work: () => Promise<T> | T) => Promise<T>
  /** History from the store; when set, it was restored at start and is the source from then on. */
  loadHistory?: () => AsyncIterable<PrivpathEvent>
  replayPartitions?: (partitions: number[]) => AsyncIterable<PrivpathEvent>
  logger: Logger
}

const REBUILD_CHUNK = 1_000

/**
 * The `onAssigned` hook: rebuilds the tasks of partitions new to this member before their batches
 * are handled. Events go through the rules with their alerts discarded (the previous owner raised
 * them), so pending absences, sequences and dedup come back along with task state. Tasks already
 * held are skipped: their events are in state once already.
 */
export function partitionRebuild(options: PartitionRebuildOptions): (partitions: readonly number[]) => Promise<void> {
  const { engine, serial, logger: log } = options
  const owned = new Set<number>()
  // history was restored at start: the first assignment has nothing more to rebuild from the store
  let restoredAtStart = options.loadHistory !== undefined
  return async (partitions) => {
    const gained = partitions.filter((p) => !owned.has(p))
    owned.clear()
    for (const p of partitions) owned.add(p)
    if (restoredAtStart) {
      restoredAtStart = false
      return
    }
    if (gained.length === 0) return
    const source = options.loadHistory ? options.loadHistory() : options.replayPartitions?.(gained)
    if (!source) return
    const rebuilt = new Set<string>()
    let applied = 0
    let skipped = 0
    const apply = (events: PrivpathEvent[]) =>
      serial(async () => {
        const fresh = events.filter((e) => {
          const task = `${e.domain}\u0000${e.task_id}`
          if (e.task_id === '' || rebuilt.has(task)) return true
          if (engine.hasTask(e.task_id, e.domain)) return false
          rebuilt.add(task)
          return true
        })
        skipped += events.length - fresh.length
        applied += fresh.length
        await engine.stepBatch(fresh)
      })
    let chunk: PrivpathEvent[] = []
    for await (const event of source) {
      chunk.push(event)
      if (chunk.length >= REBUILD_CHUNK) {
        await apply(chunk)
        chunk = []
      }
    }
    if (chunk.length > 0) await apply(chunk)
    log.info({ partitions: gained, tasks: rebuilt.size, applied, skipped, from: options.loadHistory ? 'store' : 'bus' }, 'state rebuilt for newly assigned partitions')
  }
}
