/**
 * Reads back what a consumer group already handled on some partitions of a topic: from the
 * first offset at or after `sinceMs` up to the group's committed offset, with a throwaway
 * consumer (a group of its own, nothing committed). A member that gains partitions in a
 * rebalance rebuilds their state from it. Bounded by the lookback: older history is not read.
 */
import { randomUUID } from 'node:crypto'
import type { Admin, Kafka } from 'kafkajs'
import type { Logger } from 'pino'

interface ReplayRange {
  partition: number
  /** First offset to read. */
  from: bigint
  /** First offset NOT to read (the group's committed offset). */
  to: bigint
}

export interface ReplayOptions {
  kafka: Kafka
  admin: Admin
  logger: Logger
  topic: string
  /** The Kafka group whose committed offsets end the replay. */
  groupId: string
  partitions: readonly number[]
  /** Replay from the first message at or after this time; undefined = the whole retained partition. */
  sinceMs: number | undefined
  /** Gives up (returning what was read) after this long; default 30 s. */
  timeoutMs?: number
}

/** Per partition, the offsets between `sinceMs` and the group's commit; empty ranges left out. */
async function replayRanges(admin: Admin, topic: string, groupId: string, partitions: readonly number[], sinceMs: number | undefined): Promise<ReplayRange[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
  const since =
    sinceMs === undefined
      ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.low }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs)
  const ranges: ReplayRange[] = []
  for (const partition of partitions) {
    const to = BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1')
    const from = BigInt(since.find((p) => p.partition === partition)?.offset ?? '-1')
    if (to > 0n && from >= 0n && from < to) ranges.push({ partition, from, to })
  }
  return ranges
}

/** The JSON values of the replayed messages, partition by partition, in offset order. */
export async function replayPartitions(options: ReplayOptions): Promise<unknown[]> {
  const log = options.logger.child({ topic: options.topic, group: options.groupId })
  const ranges = await replayRanges(options.admin, options.topic, options.groupId, options.partitions, options.sinceMs)
  if (ranges.length === 0) return []
  const wanted = new Map(ranges.map((r) => [r.partition, r]))
  const read = new Map<number, unknown[]>(ranges.map((r) => [r.partition, []]))
  const remaining = new Set(wanted.keys())
  const consumer = options.kafka.consumer({ groupId: `${options.groupId}.replay-${randomUUID()}`, allowAutoTopicCreation: false })
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [options.topic], fromBeginning: false })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = wanted.get(batch.partition)
        if (!range || !remaining.has(batch.partition)) return
        const values = read.get(batch.partition)!
        for (const message of batch.messages) {
          const offset = BigInt(message.offset)
          if (offset < range.from) continue
          if (offset >= range.to) break
          try {
            values.push(JSON.parse(message.value?.toString() ?? 'null'))
          } catch (error) {
            log.error({ err: error, partition: batch.partition, offset: message.offset }, 'replayed message is not JSON; skipped')
          }
        }
        if (BigInt(batch.lastOffset()) + 1n >= range.to) {
          remaining.delete(batch.partition)
          if (remaining.size === 0) done()
        }
      },
    })
    for (const range of ranges) consumer.seek({ topic: options.topic, partition: range.partition, offset: range.from.toString() })
    const timeoutMs = options.timeoutMs ?? 30_000
    await Promise.race([
      finished,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn({ partitions: [...remaining], timeoutMs }, 'replay did not reach the committed offset in time; state rebuilt from what was read')
          resolve()
        }, timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
    await consumer.disconnect().catch(() => undefined)
  }
  return ranges.flatMap((r) => read.get(r.partition)!)
}
