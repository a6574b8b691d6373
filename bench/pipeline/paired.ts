/**
 * Two builds of the same steps, given the same work batch by batch in one process: the way to
 * see a change of a few percent on a machine whose speed drifts by 2× within minutes. Every batch
 * goes through both sides, the order alternating, and each side's CPU time is added up per set;
 * what is reported is the ratio of the two sides, over all sets and set by set. Sharing one process also shares the
 * garbage collector: a collection may land on the side that did not cause it, which the
 * alternation spreads evenly but does not remove (`--against HEAD` shows the spread).
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { median } from '../ingest/server.js'

export interface Side {
  /** Runs one batch; returns the items it handled (spans), to divide CPU time by. */
  step(batch: Uint8Array[]): number
}

export interface PairedResult {
  /** CPU µs per item, set by set, for each side. */
  perSet: [number[], number[]]
  /** Items each side handled in total: they differ only if the two builds do. */
  items: [number, number]
}

/** Runs every set through both sides in batches of `batchSize` bodies, alternating which side goes first. */
export function runPaired(sides: [Side, Side], sets: Uint8Array[][], batchSize: number, cpuMicros: () => number = cpuNow): PairedResult {
  const perSet: [number[], number[]] = [[], []]
  const items: [number, number] = [0, 0]
  let batchIndex = 0
  for (const bodies of sets) {
    const cpu = [0, 0]
    const handled = [0, 0]
    for (let start = 0; start < bodies.length; start += batchSize) {
      const batch = bodies.slice(start, start + batchSize)
      const order = batchIndex++ % 2 === 0 ? [0, 1] : [1, 0]
      for (const side of order) {
        const before = cpuMicros()
        handled[side] += sides[side].step(batch)
        cpu[side] += cpuMicros() - before
      }
    }
    for (const side of [0, 1]) {
      perSet[side].push(handled[side] === 0 ? 0 : cpu[side] / handled[side])
      items[side] += handled[side]
    }
  }
  return { perSet, items }
}

function cpuNow(): number {
  const used = process.cpuUsage()
  return used.user + used.system
}

export interface PairedRatios {
  /** Median, lowest and highest of the per-set ratios first / second. */
  median: number
  min: number
  max: number
  /** Mean CPU per item of the first side over the second's, over all measured sets. */
  overall: number
  sets: number
}

/** The ratios first / second, after `warmup` sets. */
export function pairedRatios(result: PairedResult, warmup: number): PairedRatios {
  const [a, b] = result.perSet.map((values) => values.slice(warmup))
  const ratios = a.flatMap((value, i) => (b[i] > 0 ? [value / b[i]] : []))
  if (ratios.length === 0) throw new Error(`no measured sets after ${warmup} warm-up sets`)
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), overall: sum(a) / sum(b), sets: ratios.length }
}

/** The collector's decode → map → correlate → publish order of the source tree at `root` (this one, or another checkout). */
export async function collectorPipeline(root: string): Promise<Side> {
  const load = (path: string) => import(pathToFileURL(join(root, path)).href)
  const { decodeTraces } = await load('collector/otlp/decode.ts')
  const { mapTraceRequest } = await load('collector/mapping/index.ts')
  const { Correlator } = await load('collector/correlate/index.ts')
  const { eventMessages } = await load('collector/publish/messages.ts')
  const correlator = new Correlator({ maxHeldSpans: 200_000, maxKnownSpans: 1_000_000 })
  return {
    step(batch) {
      const records: Array<{ signal: string }> = []
      for (const body of batch) records.push(...mapTraceRequest(decodeTraces(body, 'protobuf').request, { authTenant: '', observedAt: Date.now() }))
      eventMessages(correlator.add(records, Date.now()))
      return records.filter((record) => record.signal === 'span').length
    },
  }
}
