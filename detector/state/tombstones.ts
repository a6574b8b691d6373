/**
 * Credentials the registry let go after they ended (revoked or expired), remembered so that a
 * cached copy replayed days later is still recognised: `registry.get` answers from here when the
 * live entry is gone. A tombstone is the registry entry itself, minus its `used_in_tasks`, so it
 * costs no copy. Bounded in time (`ttlMs` after the credential ended, event time) and in number
 * (least recently touched first); both evictions are reported. Deadlines sit in a heap, not in
 * per-second buckets: tombstones span days, and expiries are whatever the sender said, so the
 * number of distinct deadlines is not small.
 */
import { MinHeap } from '../../core/heap.js'
import { LruMap } from './lru.js'
import type { CredentialEntry } from './registry.js'

/** When the credential stopped being valid: the earlier of expiry and revocation. */
export function credentialEnd(entry: CredentialEntry): number | null {
  const { expires_at: expires, revoked_at: revoked } = entry
  if (expires === null) return revoked
  return revoked === null ? expires : Math.min(expires, revoked)
}

export class CredentialTombstones {
  private readonly stones = new LruMap<CredentialEntry>()
  private deadlines = new MinHeap<{ at: number; id: string }>()

  constructor(
    private readonly limits: { ttlMs: number; max: number },
    private readonly onEvict: (reason: 'expired' | 'cap') => void,
  ) {}

  get size(): number {
    return this.stones.size
  }

  get(credentialId: string): CredentialEntry | undefined {
    return this.stones.get(credentialId)
  }

  /**
   * Keeps an entry the registry dropped, when it ended and its tombstone time has not passed by
   * `now`; an entry still valid (dropped at the registry's cap) keeps until its end + ttl.
   */
  bury(entry: CredentialEntry, now = Number.NEGATIVE_INFINITY): void {
    const end = credentialEnd(entry)
    if (end === null || this.limits.ttlMs === 0 || this.limits.max === 0 || end + this.limits.ttlMs <= now) return
    entry.used_in_tasks = []
    this.stones.set(entry.credential_id, entry)
    this.deadlines.push({ at: end + this.limits.ttlMs, id: entry.credential_id })
    while (this.stones.size > this.limits.max) {
      const [oldest] = this.stones.oldest()!
      this.stones.delete(oldest)
      this.onEvict('cap')
    }
    // deadlines of tombstones gone at the cap stay in the heap until due: rebuild before they pile up
    if (this.deadlines.size > 2 * this.stones.size + 1_024) this.rebuildDeadlines()
  }

  /** A replay keeps its tombstone among the most recently useful. */
  touch(credentialId: string): void {
    const stone = this.stones.get(credentialId)
    if (stone) this.stones.set(credentialId, stone)
  }

  delete(credentialId: string): void {
    this.stones.delete(credentialId)
  }

  evict(now: number): void {
    for (let top = this.deadlines.peek(); top && top.at <= now; top = this.deadlines.peek()) {
      this.deadlines.pop()
      const stone = this.stones.get(top.id)
      if (!stone) continue
      // a later deadline means the id was buried again since, with a heap entry of its own
      if (credentialEnd(stone)! + this.limits.ttlMs <= now) {
        this.stones.delete(top.id)
        this.onEvict('expired')
      }
    }
  }

  private rebuildDeadlines(): void {
    this.deadlines = new MinHeap()
    for (const stone of this.stones.values()) this.deadlines.push({ at: credentialEnd(stone)! + this.limits.ttlMs, id: stone.credential_id })
  }
}
