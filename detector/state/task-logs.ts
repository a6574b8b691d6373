/**
 * How each timestamped list of a task is bounded (see keyed-log.ts): what groups its entries,
 * how many it keeps, and which entries rules treat as blockers (deny; approval requested or
 * denied) and clearers (allow; approval granted). The logs live beside the task, not in it, so
 * rules keep seeing plain arrays; a list gets its log once it reaches PLAIN_UP_TO entries (and is
 * changed in place from then on; before, it may be replaced by a longer copy, lists.ts).
 */
import { KeyedLog, type DropReason, type LogPolicy, type Role } from './keyed-log.js'
import { append } from './lists.js'
import type { TaskState } from './task.js'

export type KeyedList = 'tools' | 'authz' | 'approvals' | 'delegations' | 'untrusted_outputs'
/** Every bounded list of a task, for the drop callback. */
export type TaskList = KeyedList | 'agents' | 'workloads' | 'credentials_issued' | 'credentials_used' | 'credentials_revoked' | 'agent_scopes'
export type TaskDrop = (list: TaskList, reason: DropReason) => void

type Entry<N extends KeyedList> = TaskState[N][number]

/** The policy name a folded deny carries, so an alert on it says why its action is `*`. */
const FOLDED_DENIES = 'privpath: distinct denies beyond the task cap, folded'

const GLOB = /[*?]/

/** Actions that may name the same step: equal, empty (an approval for anything) or a glob. */
function related(a: string, b: string): boolean {
  return a === b || a === '' || b === '' || GLOB.test(a) || GLOB.test(b)
}

function plain<E extends { ts: number }>(perKey: number, maxKeys: number, key: (entry: E) => string): LogPolicy<E> {
  return { perKey, maxKeys, key, role: () => 'other', related: () => true, fold: (entry) => entry }
}

const POLICIES: { [N in KeyedList]: LogPolicy<Entry<N>> } = {
  authz: {
    perKey: 8,
    maxKeys: 128,
    key: (e) => `${e.action}\u0000${e.resource}\u0000${e.result}`,
    role: (e): Role => (e.result === 'deny' ? 'blocker' : e.result === 'allow' ? 'clearer' : 'other'),
    related: (a, b) => related(a.action, b.action),
    fold: (e) => ({ action: '*', resource: '*', result: 'deny', policy: FOLDED_DENIES, engine: e.engine, agent_id: e.agent_id, ts: e.ts }),
  },
  approvals: {
    perKey: 8,
    maxKeys: 64,
    key: (e) => `${e.action}\u0000${e.result}`,
    role: (e): Role => (e.result === 'granted' ? 'clearer' : e.result === 'requested' || e.result === 'denied' ? 'blocker' : 'other'),
    related: (a, b) => related(a.action, b.action),
    fold: (e) => ({ action: '*', result: e.result, approver: e.approver, ts: e.ts }),
  },
  // at most 256 entries each, as the 200 these lists held before they were keyed
  tools: plain(4, 64, (e) => `${e.name}\u0000${e.target_tenant}`),
  delegations: plain(4, 64, (e) => `${e.from_agent}\u0000${e.to_agent}`),
  untrusted_outputs: plain(4, 32, (e) => e.tool),
}

const logs = new WeakMap<TaskState, { [N in KeyedList]?: KeyedLog<Entry<N>, TaskList> }>()

/** A list stays a plain array until it holds this many entries: most tasks never get there. */
const PLAIN_UP_TO = 32

export function addEntry<N extends KeyedList>(task: TaskState, list: N, entry: Entry<N>, dropped: TaskDrop): void {
  const items = task[list] as Array<Entry<N>>
  let held = logs.get(task)
  let log = held?.[list] as KeyedLog<Entry<N>, TaskList> | undefined
  if (!log) {
    if (items.length < PLAIN_UP_TO) {
      ;(task as unknown as Record<N, Array<Entry<N>>>)[list] = append(items, entry)
      return
    }
    if (!held) logs.set(task, (held = {}))
    log = new KeyedLog<Entry<N>, TaskList>(items, POLICIES[list] as LogPolicy<Entry<N>>, list)
    ;(held as Record<N, KeyedLog<Entry<N>, TaskList>>)[list] = log
    // from now on the log bounds the list, which may get shorter than PLAIN_UP_TO again
    for (const prior of items.splice(0)) log.add(prior, dropped)
  }
  log.add(entry, dropped)
}
