/** The correlator: places mapped span records in tasks, holding children until their parent is placed (see index.ts). */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { EventFlag } from '../../core/event.js'
import type { SpanRecord } from '../mapping/index.js'
import { KnownSpans, type Placement } from './known-spans.js'
import { addTaskBoundaries, adoptAgentId, isDelegation, markDelegation } from './task-boundaries.js'

export interface CorrelatorOptions {
  /** How long a span whose parent is unknown waits for it (default 30 000). */
  graceWindowMs?: number
  /** Held records beyond this release the oldest at once, placed by fallback. */
  maxHeldSpans: number
  /** The same by the records' estimated size (`recordBytes`): span content and attributes come from senders. */
  maxHeldBytes?: number
  /** Span placements remembered for later children (the least recently used evicted, see KnownSpans). */
  maxKnownSpans: number
  registry?: Registry
}

const DEFAULT_GRACE_WINDOW_MS = 30_000
/** Parent chains deeper than this inside one batch are resolved through holding instead of recursion. */
const MAX_CHAIN_DEPTH = 2_000

interface Held {
  record: SpanRecord
  anchor: string
  self: string | undefined
  deadline: number
  bytes: number
}

/** Per event beyond its strings: the object, its fixed fields, arrays and map. */
const EVENT_OVERHEAD_BYTES = 512

/**
 * About what a held record keeps on the heap: its events' strings (one byte per character, as
 * V8 stores ASCII) plus a fixed overhead per event. An estimate, to bound the hold, not an account.
 */
export function recordBytes(record: SpanRecord): number {
  let bytes = 0
  for (const event of record.events) {
    bytes += EVENT_OVERHEAD_BYTES + event.content.length + event.tool_arguments.length + event.name.length + event.error.length
    bytes += event.target_resource.length + event.authz_resource.length + event.tool_result.length
    for (const call of event.requested_calls) bytes += call.call_id.length + call.name.length + call.arguments.length
    for (const key in event.attributes) bytes += key.length + event.attributes[key].length
  }
  return bytes
}

type ReleaseReason = 'expired' | 'capacity'

/**
 * Scoped by the authenticated tenant, so no tenant's spans can reach another tenant's placements,
 * and not by trace: the span id, a string the decoder already made, is the key without auth, so
 * no key is built or hashed per span. A placement names its trace and only answers for that
 * trace (`inTrace`). A span id reused in another trace of the same scope replaces it: children
 * of the earlier span placed after that find no parent (they are held, then placed by their
 * fallback), never a wrong one. A span id is hex (or a log record's `<hex>/log/<hex>`) and
 * holds no NUL, so the two forms of key cannot meet.
 */
function key(authTenant: string, spanId: string): string {
  return authTenant === '' ? spanId : `${authTenant}\u0000${spanId}`
}

function inTrace(placement: Placement | undefined, traceId: string): Placement | undefined {
  return placement !== undefined && placement.traceId === traceId ? placement : undefined
}

/** The span a record hangs from: a span's parent, or the span a log record was emitted in. */
function anchorOf(record: SpanRecord): string | undefined {
  const spanId = record.signal === 'span' ? record.parentSpanId : record.spanId
  return spanId === '' || record.traceId === '' ? undefined : key(record.authTenant, spanId)
}

function selfKey(record: SpanRecord): string | undefined {
  return record.signal === 'span' && record.spanId !== '' ? key(record.authTenant, record.spanId) : undefined
}

export class Correlator {
  private readonly graceWindowMs: number
  private readonly known: KnownSpans
  private readonly holding = new Map<number, Held>()
  private heldBytes = 0
  private readonly waiting = new Map<string, Set<number>>()
  private nextHoldId = 0
  /** Placements made during the current `add`, so in-batch children find parents even if the LRU evicted them. */
  private batchPlacements = new Map<string, Placement>()
  /** Spans just placed whose waiting children are still to be released. */
  private readonly releases: Array<[string, Placement]> = []
  private releasing = false
  private readonly heldTotal: Counter
  private readonly released: Counter<'reason'>
  private readonly evicted: Counter

  constructor(private readonly options: CorrelatorOptions) {
    this.graceWindowMs = options.graceWindowMs ?? DEFAULT_GRACE_WINDOW_MS
    const registers = options.registry ? [options.registry] : []
    this.heldTotal = new Counter({
      name: 'privpath_collector_spans_held_total',
      help: 'Span and log records held because their parent span was not known yet',
      registers,
    })
    this.released = new Counter({
      name: 'privpath_collector_spans_released_total',
      help: 'Held records released: parent arrived, grace window expired, or hold capacity reached',
      labelNames: ['reason'],
      registers,
    })
    this.evicted = new Counter({
      name: 'privpath_collector_known_spans_evicted_total',
      help: 'Remembered span placements evicted (least recently used) to stay within max_known_spans',
      registers,
    })
    this.known = new KnownSpans(options.maxKnownSpans, (count) => this.evicted.inc(count))
    const self = this
    new Gauge({
      name: 'privpath_collector_held_bytes',
      help: 'Estimated heap bytes of the records waiting for their parent (bounded by collector.max_held_bytes)',
      registers,
      collect() {
        this.set(self.heldBytes)
      },
    })
  }

  /** Places what can be placed now (resolving parents inside the batch first); holds the rest. */
  add(records: SpanRecord[], now: number): SpanRecord[] {
    const out: SpanRecord[] = []
    // Each key is built once: a Map hashes a string once and keeps the hash on it.
    const selves = records.map(selfKey)
    const anchors = records.map(anchorOf)
    const inBatch = new Map<string, number>()
    selves.forEach((self, index) => {
      if (self !== undefined) inBatch.set(self, index)
    })
    const visited = new Uint8Array(records.length)
    const visit = (index: number, depth: number): void => {
      if (visited[index] !== 0) return
      visited[index] = 1
      const anchor = anchors[index]
      // A parent in this batch is placed first; the batch map is small, so this look-up is cheaper
      // than asking the known spans, which a parent re-sent in this batch would answer stale.
      const parent = anchor === undefined ? undefined : inBatch.get(anchor)
      if (parent !== undefined && depth < MAX_CHAIN_DEPTH) visit(parent, depth + 1)
      this.place(records[index], anchor, selves[index], now, out)
    }
    try {
      for (let index = 0; index < records.length; index++) visit(index, 0)
    } finally {
      this.batchPlacements = new Map()
    }
    return out
  }

  /** Releases held records whose grace window has passed, placed by their fallback and flagged `orphan`. */
  expire(now: number): SpanRecord[] {
    const out: SpanRecord[] = []
    try {
      for (const [id, held] of this.holding) {
        // Holds are made in arrival order with one window, so the first unexpired one ends the scan.
        if (held.deadline > now) break
        this.releaseOrphan(id, held, 'expired', out)
      }
    } finally {
      this.batchPlacements = new Map()
    }
    return out
  }

  held(): number {
    return this.holding.size
  }

  /** Estimated bytes of the held records (see `recordBytes`). */
  heldSize(): number {
    return this.heldBytes
  }

  knownSpans(): number {
    return this.known.size()
  }

  private place(record: SpanRecord, anchor: string | undefined, self: string | undefined, now: number, out: SpanRecord[]): void {
    if (anchor === undefined) {
      this.emit(record, self, record.explicitTaskId || record.fallbackTaskId, undefined, record.signal === 'span', out)
      return
    }
    const parent = this.placed(anchor, record.traceId)
    if (parent !== undefined) {
      this.placeUnder(record, self, parent, out)
      return
    }
    if (record.explicitTaskId !== '' && !record.invokesAgent) {
      // The task is known; only the agent and the task-root decision would need the parent.
      this.emit(record, self, record.explicitTaskId, undefined, false, out)
      return
    }
    this.hold(record, anchor, self, now, out)
  }

  /** Where the span `anchor` of trace `traceId` was placed, if it is known (or was placed in this batch). */
  private placed(anchor: string, traceId: string): Placement | undefined {
    return inTrace(this.known.get(anchor), traceId) ?? inTrace(this.batchPlacements.get(anchor), traceId)
  }

  private placeUnder(record: SpanRecord, self: string | undefined, parent: Placement, out: SpanRecord[], flag?: EventFlag): void {
    const taskId = record.explicitTaskId || parent.taskId
    this.emit(record, self, taskId, parent, record.signal === 'span' && taskId !== parent.taskId, out, flag)
  }

  private hold(record: SpanRecord, anchor: string, self: string | undefined, now: number, out: SpanRecord[]): void {
    const bytes = recordBytes(record)
    const maxBytes = this.options.maxHeldBytes ?? Number.POSITIVE_INFINITY
    // A record larger than the whole byte bound is still held once nothing else is.
    while (this.holding.size > 0 && (this.holding.size >= this.options.maxHeldSpans || this.heldBytes + bytes > maxBytes)) {
      const [id, oldest] = this.holding.entries().next().value as [number, Held]
      this.releaseOrphan(id, oldest, 'capacity', out)
    }
    // Making room may have placed this record's own parent: then it is placed now, not held for it.
    const parent = this.placed(anchor, record.traceId)
    if (parent !== undefined) {
      this.placeUnder(record, self, parent, out)
      return
    }
    if (this.options.maxHeldSpans <= 0) {
      this.heldTotal.inc()
      this.released.inc({ reason: 'capacity' })
      this.emit(record, self, record.explicitTaskId || record.fallbackTaskId, undefined, false, out, 'orphan')
      return
    }
    const id = this.nextHoldId++
    this.holding.set(id, { record, anchor, self, deadline: now + this.graceWindowMs, bytes })
    this.heldBytes += bytes
    const waiters = this.waiting.get(anchor) ?? new Set<number>()
    waiters.add(id)
    this.waiting.set(anchor, waiters)
    this.heldTotal.inc()
  }

  private releaseOrphan(id: number, held: Held, reason: ReleaseReason, out: SpanRecord[]): void {
    this.unhold(id, held)
    this.released.inc({ reason })
    this.emit(held.record, held.self, held.record.explicitTaskId || held.record.fallbackTaskId, undefined, false, out, 'orphan')
  }

  private unhold(id: number, held: Held): void {
    this.holding.delete(id)
    this.heldBytes -= held.bytes
    const waiters = this.waiting.get(held.anchor)
    waiters?.delete(id)
    if (waiters?.size === 0) this.waiting.delete(held.anchor)
  }

  private emit(
    record: SpanRecord,
    self: string | undefined,
    taskId: string,
    parent: Placement | undefined,
    taskRoot: boolean,
    out: SpanRecord[],
    flag?: EventFlag,
  ): void {
    if (!record.tenantSettled && parent !== undefined) record.tenantId = parent.tenantId
    adoptAgentId(record, parent)
    for (const event of record.events) {
      event.tenant_id = record.tenantId
      if (event.task_id === '') event.task_id = taskId
      if (event.agent_id === '' && parent !== undefined) {
        event.agent_id = parent.agentId
        event.agent_name = event.agent_name || parent.agentName
      }
      if (event.kind === 'credential_issued' && event.credential_task_id === '') event.credential_task_id = event.task_id
      if (flag !== undefined && !event.flags.includes(flag)) event.flags.push(flag)
    }
    if (isDelegation(record, parent)) markDelegation(record, parent)
    if (taskRoot) addTaskBoundaries(record, taskId)
    out.push(record)

    if (self === undefined) return
    const inherited = record.agentId === '' && parent !== undefined
    const agentId = inherited ? parent.agentId : record.agentId
    const agentName = inherited ? parent.agentName : record.agentName
    // Most spans are placed exactly as their parent: they share its placement instead of a copy each.
    const placement: Placement =
      parent !== undefined && parent.tenantId === record.tenantId && parent.taskId === taskId && parent.agentId === agentId && parent.agentName === agentName
        ? parent
        : { traceId: record.traceId, tenantId: record.tenantId, taskId, agentId, agentName }
    this.known.set(self, placement)
    this.batchPlacements.set(self, placement)
    this.releases.push([self, placement])
    if (!this.releasing) this.drainReleases(out)
  }

  /** Iterative, so a long chain of held descendants cannot overflow the stack. */
  private drainReleases(out: SpanRecord[]): void {
    this.releasing = true
    try {
      for (let next = this.releases.pop(); next !== undefined; next = this.releases.pop()) this.releaseWaiters(next[0], next[1], out)
    } finally {
      this.releasing = false
    }
  }

  /** Children held for `parentKey` in the parent's trace are placed now that it is known, flagged `late_parent`. */
  private releaseWaiters(parentKey: string, parent: Placement, out: SpanRecord[]): void {
    const waiters = this.waiting.get(parentKey)
    if (waiters === undefined) return
    for (const id of waiters) {
      const held = this.holding.get(id)
      if (held !== undefined && held.record.traceId !== parent.traceId) continue
      waiters.delete(id)
      if (held === undefined) continue
      this.holding.delete(id)
      this.heldBytes -= held.bytes
      this.released.inc({ reason: 'parent' })
      this.placeUnder(held.record, held.self, parent, out, 'late_parent')
    }
    if (waiters.size === 0) this.waiting.delete(parentKey)
  }
}
