/**
 * When a consumer group has caught up: its committed offsets reached the high-water marks a
 * topic had when the subscription started (polled through the admin client, so the commits of
 * every member of the group count). Partitions that were empty, or that a group without a
 * committed offset skips by starting at the end, count as caught up.
 */
import type { Admin, SeekEntry } from 'kafkajs'

export interface CaughtUpOptions {
  admin: Admin
  group: string
  topic: string
  highs: Array<SeekEntry & { high: string; low: string }>
  fromBeginning: boolean
  stopped: () => boolean
  pollMs?: number
}

export async function waitForCaughtUp(options: CaughtUpOptions): Promise<void> {
  const targets = options.highs.filter((p) => BigInt(p.high) > BigInt(p.low))
  if (targets.length === 0) return
  const initial = await committed(options)
  // A new group reading from the end never sees what came before: nothing to catch up with.
  const pending = targets.filter((p) => options.fromBeginning || (initial.get(p.partition) ?? -1n) >= 0n)
  for (;;) {
    if (options.stopped()) throw new Error('subscription closed before it caught up')
    const offsets = await committed(options)
    if (pending.every((p) => (offsets.get(p.partition) ?? -1n) >= BigInt(p.high))) return
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200))
  }
}

async function committed(options: CaughtUpOptions): Promise<Map<number, bigint>> {
  const result = await options.admin.fetchOffsets({ groupId: options.group, topics: [options.topic] })
  const out = new Map<number, bigint>()
  for (const topic of result) for (const p of topic.partitions) out.set(p.partition, BigInt(p.offset))
  return out
}
