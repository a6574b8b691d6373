/**
 * A bounded list of timestamped entries that a flood cannot empty of what matters. Entries are
 * grouped by key (e.g. action + resource + result), in time order within a key; each key holds at
 * most `perKey` entries and the log at most `maxKeys` keys. The rule-visible `list` (arrival
 * order) holds exactly the entries the keys hold.
 *
 * Roles make the drops safe for rules that compare the latest "blocker" (a deny, a pending or
 * denied approval) with the latest "clearer" (an allow, a grant) at or before a time:
 * - a key overflowing first merges runs: an entry with an earlier entry of its key and no related
 *   entry of the opposite role between the two changes no such comparison at any time, so it
 *   goes first (oldest such first: late arrivals land near the newest). Only when every entry
 *   is separated from the previous one does the oldest go, counted as 'overflow'.
 * - at the key cap, the least recently touched key of role 'other', then 'clearer', leaves
 *   (counted as 'cap'): losing a clearer can only raise alerts. Blocker keys are never evicted: a
 *   new blocker key that finds only blockers at the cap is folded into one catch-all key
 *   (`fold`, counted as 'folded'), which matches every step, so the deny still counts, more
 *   broadly. Flooding with denies or allows thus never hides a deny already held.
 * A clearer or 'other' entry that finds only blocker keys at the cap is dropped ('cap').
 */
import { LruMap } from './lru.js'

export type Role = 'blocker' | 'clearer' | 'other'
export type DropReason = 'overflow' | 'cap' | 'folded'

export interface LogPolicy<E extends { ts: number }> {
  perKey: number
  maxKeys: number
  key(entry: E): string
  role(entry: E): Role
  /** Whether two entries of opposite roles may concern the same step; true when unsure. */
  related(a: E, b: E): boolean
  /** The catch-all entry a blocker becomes when the cap holds only blockers. */
  fold(entry: E): E
}

/** Told of every drop, with the log's tag (which list). */
export type Dropped<T> = (tag: T, reason: DropReason) => void

export class KeyedLog<E extends { ts: number }, T = string> {
  private readonly byRole: Record<Role, LruMap<E[]>> = { blocker: new LruMap(), clearer: new LruMap(), other: new LruMap() }

  constructor(
    readonly list: E[],
    private readonly policy: LogPolicy<E>,
    private readonly tag: T,
  ) {}

  get keys(): number {
    return this.byRole.blocker.size + this.byRole.clearer.size + this.byRole.other.size
  }

  add(input: E, dropped: Dropped<T>): void {
    let entry = input
    let role = this.policy.role(entry)
    let key = this.policy.key(entry)
    let bucket = this.byRole[role].get(key)
    if (!bucket && this.keys >= this.policy.maxKeys && !this.makeRoom(role, dropped)) {
      if (role !== 'blocker') {
        dropped(this.tag, 'cap')
        return
      }
      entry = this.policy.fold(entry)
      role = this.policy.role(entry)
      key = this.policy.key(entry)
      bucket = this.byRole[role].get(key)
      dropped(this.tag, 'folded')
    }
    if (!bucket) bucket = []
    this.byRole[role].set(key, bucket)
    let at = bucket.length
    while (at > 0 && bucket[at - 1].ts > entry.ts) at--
    bucket.splice(at, 0, entry)
    this.list.push(entry)
    if (bucket.length > this.policy.perKey) this.shrink(bucket, role, dropped)
  }

  /** Evicts one key of a role less useful than a blocker; false when only blockers are held. */
  private makeRoom(incoming: Role, dropped: Dropped<T>): boolean {
    for (const role of ['other', 'clearer'] as const) {
      // an entry no rule compares never pushes out a clearer
      if (role === 'clearer' && incoming === 'other') continue
      const oldest = this.byRole[role].oldest()
      if (!oldest) continue
      this.byRole[role].delete(oldest[0])
      for (const gone of oldest[1]) this.unlist(gone)
      dropped(this.tag, 'cap')
      return true
    }
    return false
  }

  private shrink(bucket: E[], role: Role, dropped: Dropped<T>): void {
    if (role !== 'other') {
      const opposite = this.byRole[role === 'blocker' ? 'clearer' : 'blocker']
      for (let i = 1; i < bucket.length; i++) {
        if (!this.between(opposite, bucket[i], bucket[i - 1].ts, bucket[i].ts)) {
          this.unlist(bucket.splice(i, 1)[0])
          return
        }
      }
    }
    this.unlist(bucket.shift()!)
    dropped(this.tag, 'overflow')
  }

  /** Whether a related entry of `opposite` lies in [from, to] (inclusive: ties stay apart). */
  private between(opposite: LruMap<E[]>, entry: E, from: number, to: number): boolean {
    for (const other of opposite.values()) {
      if (!this.policy.related(entry, other[0])) continue
      for (const o of other) if (o.ts >= from && o.ts <= to) return true
    }
    return false
  }

  private unlist(entry: E): void {
    const at = this.list.indexOf(entry)
    if (at >= 0) this.list.splice(at, 1)
  }
}
