/**
 * The global credential registry (`credential` in rules): every credential seen, which task it
 * is bound to, where it was used, when it expires or was revoked. Fed from the `events` topic in
 * the embedded mode, or from the `credentials` topic (`apply` is idempotent, so getting a
 * credential event or a task_end from both is harmless). Bounded: entries leave `grace` after expiry or
 * revocation, and the least recently touched leaves when the cap is reached. An entry that
 * leaves after it ended becomes a tombstone (tombstones.ts) that still answers `get`.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { detectorConfig } from '../config.js'
import { DeadlineBuckets } from './buckets.js'
import { append } from './lists.js'
import { LruMap } from './lru.js'
import { credentialEnd, CredentialTombstones } from './tombstones.js'

export interface CredentialEntry {
  credential_id: string
  task_id: string
  tenant_id: string
  type: string
  issuer: string
  subject: string
  scopes: string[]
  issued_at: number | null
  expires_at: number | null
  revoked_at: number | null
  used_in_tasks: string[]
  task_ended_at: number | null
}

const USED_IN_CAP = 200

/** What a credential event says about the credential itself; an issue event overwrites it. */
function described(event: PrivpathEvent) {
  return {
    task_id: event.credential_task_id || event.task_id,
    tenant_id: event.tenant_id,
    type: event.credential_type,
    issuer: event.credential_issuer,
    subject: event.credential_subject,
    scopes: event.credential_scopes,
    expires_at: event.credential_expires_at,
  }
}

export interface RegistryLimits {
  graceMs: number
  max: number
  /** Tombstones last this long after the credential ended (0: none); the setting's default if omitted. */
  tombstoneMs?: number
  maxTombstones?: number
}

export type RegistryEviction = (reason: 'expired' | 'cap', what: 'credential' | 'credential_tombstone') => void

export class CredentialRegistry {
  private readonly entries = new LruMap<CredentialEntry>()
  /** Credential ids bound to each task: the id itself while there is one (most tasks), a set from two on. */
  private readonly byTask = new Map<string, string | Set<string>>()
  private readonly deadlines = new DeadlineBuckets()
  private readonly tombstones: CredentialTombstones
  /**
   * Task ends (earliest ts per task), kept `grace` after the end: on `credentials` a task_end and
   * the issue of a credential of its task sit in different partitions, so the end can be applied
   * first. A credential bound to the task by an event from before the end still gets it.
   */
  private readonly ended = new LruMap<number>()
  private readonly endDeadlines = new DeadlineBuckets()

  constructor(
    private readonly limits: RegistryLimits,
    private readonly onEvict: RegistryEviction = () => {},
  ) {
    const defaults = limits.tombstoneMs === undefined || limits.maxTombstones === undefined ? detectorConfig() : undefined
    this.tombstones = new CredentialTombstones(
      {
        ttlMs: limits.tombstoneMs ?? defaults!.credential_tombstone_ms,
        max: limits.maxTombstones ?? defaults!.max_credential_tombstones,
      },
      (reason) => onEvict(reason, 'credential_tombstone'),
    )
  }

  /** Live entries (tombstones not included). */
  get size(): number {
    return this.entries.size
  }

  get tombstoneCount(): number {
    return this.tombstones.size
  }

  /** Task ends remembered for credentials applied after them. */
  get taskEndCount(): number {
    return this.ended.size
  }

  get(credentialId: string): CredentialEntry | null {
    if (credentialId === '') return null
    return this.entries.get(credentialId) ?? this.tombstones.get(credentialId) ?? null
  }

  apply(event: PrivpathEvent): void {
    if (event.kind === 'task_end') this.taskEnded(event.task_id, event.ts)
    if (event.credential_id === '') return
    let entry = this.entries.get(event.credential_id)
    if (!entry && this.absorbed(event)) return
    const created = entry === undefined
    if (!entry) {
      entry = {
        credential_id: event.credential_id,
        ...described(event),
        issued_at: null,
        revoked_at: null,
        used_in_tasks: [],
        task_ended_at: null,
      }
      this.bind(entry, event.ts)
    }
    this.entries.set(event.credential_id, entry)
    if (event.kind === 'credential_issued') {
      this.unbind(entry)
      const description = described(event)
      // bound so far to the task that used it (its issue came later): that task's end is not its own
      if (description.task_id !== entry.task_id) entry.task_ended_at = null
      Object.assign(entry, description, {
        issued_at: entry.issued_at === null ? event.ts : Math.min(entry.issued_at, event.ts),
      })
      this.bind(entry, event.ts)
    } else if (event.kind === 'credential_revoked') {
      entry.revoked_at = entry.revoked_at === null ? event.ts : Math.min(entry.revoked_at, event.ts)
    } else if (event.task_id !== '' && !entry.used_in_tasks.includes(event.task_id)) {
      entry.used_in_tasks = append(entry.used_in_tasks, event.task_id)
      if (entry.used_in_tasks.length > USED_IN_CAP) entry.used_in_tasks.shift()
    }
    // a use changes neither expiry nor revocation: its deadline is already scheduled
    if (created || event.kind === 'credential_issued' || event.kind === 'credential_revoked') {
      const end = credentialEnd(entry)
      if (end !== null) this.deadlines.add(entry.credential_id, end + this.limits.graceMs)
    }
    while (this.entries.size > this.limits.max) {
      const [oldestId, oldest] = this.entries.oldest()!
      this.remove(oldestId)
      this.onEvict('cap', 'credential')
      this.tombstones.bury(oldest)
    }
  }

  /**
   * An event for a credential only a tombstone remembers updates the tombstone. An issue later
   * than the credential's end is a re-issue under the same id: the tombstone gives way to a new
   * entry. An earlier one is the original issue seen again (both topics, a replay) and changes
   * nothing, as for a live entry.
   */
  private absorbed(event: PrivpathEvent): boolean {
    const stone = this.tombstones.get(event.credential_id)
    if (!stone) return false
    if (event.kind === 'credential_issued' && event.ts > credentialEnd(stone)!) {
      this.tombstones.delete(event.credential_id)
      return false
    }
    if (event.kind === 'credential_revoked') stone.revoked_at = Math.min(stone.revoked_at ?? event.ts, event.ts)
    this.tombstones.touch(event.credential_id)
    return true
  }

  /** Idempotent and order-free: whichever end of a task comes first, the earliest one holds. */
  taskEnded(taskId: string, ts: number): void {
    if (taskId === '') return
    const known = this.ended.get(taskId)
    if (known === undefined || ts < known) {
      this.ended.set(taskId, ts)
      this.endDeadlines.add(taskId, ts + this.limits.graceMs)
      // forgetting an end only forgoes it for credentials of the task applied after it
      while (this.ended.size > this.limits.max) this.ended.delete(this.ended.oldest()![0])
    }
    const bound = this.byTask.get(taskId)
    for (const id of typeof bound === 'string' ? [bound] : (bound ?? [])) {
      const entry = this.entries.get(id)
      if (entry && (entry.task_ended_at === null || ts < entry.task_ended_at)) entry.task_ended_at = ts
    }
  }

  /** Entries whose expiry or revocation is older than `now - grace` leave, as tombstones; task ends older than that are forgotten. */
  evict(now: number): void {
    for (const id of this.endDeadlines.due(now)) {
      const end = this.ended.get(id)
      if (end === undefined) continue
      if (end + this.limits.graceMs <= now) this.ended.delete(id)
      else this.endDeadlines.add(id, end + this.limits.graceMs)
    }
    for (const id of this.deadlines.due(now)) {
      const entry = this.entries.get(id)
      if (!entry) continue
      const end = credentialEnd(entry)
      if (end === null) continue
      if (end + this.limits.graceMs <= now) {
        this.remove(id)
        this.onEvict('expired', 'credential')
        this.tombstones.bury(entry, now)
      } else {
        this.deadlines.add(id, end + this.limits.graceMs)
      }
    }
    this.tombstones.evict(now)
  }

  entriesSnapshot(): CredentialEntry[] {
    return [...this.entries.values()]
  }

  /** `ts`: of the event that binds it; a task that ended before that event does not end the credential. */
  private bind(entry: CredentialEntry, ts: number): void {
    if (entry.task_id === '') return
    const bound = this.byTask.get(entry.task_id)
    if (bound === undefined) this.byTask.set(entry.task_id, entry.credential_id)
    else if (typeof bound !== 'string') bound.add(entry.credential_id)
    else if (bound !== entry.credential_id) this.byTask.set(entry.task_id, new Set([bound, entry.credential_id]))
    const end = this.ended.get(entry.task_id)
    if (end !== undefined && ts <= end && (entry.task_ended_at === null || end < entry.task_ended_at)) entry.task_ended_at = end
  }

  private unbind(entry: CredentialEntry): void {
    const bound = this.byTask.get(entry.task_id)
    if (bound === entry.credential_id) this.byTask.delete(entry.task_id)
    else if (typeof bound !== 'string' && bound !== undefined) {
      bound.delete(entry.credential_id)
      if (bound.size === 0) this.byTask.delete(entry.task_id)
    }
  }

  private remove(id: string): void {
    const entry = this.entries.get(id)
    if (!entry) return
    this.entries.delete(id)
    this.unbind(entry)
  }
}
