import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { span, traceRequest } from '../../testkit/otlp-builders.js'
import { mapTraceRequest, type SpanRecord } from '../mapping/index.js'
import { Correlator } from './correlator.js'

const TRACE = '0123456789abcdef0123456789abcdef'

/** A random tree: node i > 0 has a parent among 0..i-1; node 0 is the root with an explicit task. */
const tree = fc.integer({ min: 1, max: 40 }).chain((size) =>
  fc.tuple(
    fc.constant(size),
    fc.array(fc.nat(), { minLength: size - 1, maxLength: size - 1 }).map((picks) => picks.map((pick, i) => pick % (i + 1))),
  ),
)

function spanRecords(size: number, parents: number[]): SpanRecord[] {
  const spans = Array.from({ length: size }, (_, i) =>
    span({
      traceId: TRACE,
      spanId: `s${i}`,
      parentSpanId: i === 0 ? '' : `s${parents[i - 1]}`,
      attributes: i === 0 ? { 'agent.task.id': 'root-task' } : {},
    }),
  )
  return mapTraceRequest(traceRequest(spans))
}

describe('Correlator properties', () => {
  it('any arrival order and batching within the window: every span once, all in the root task, nothing orphaned', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }), ([size, parents], seed, cuts) => {
        const records = spanRecords(size, parents)
        const shuffled = fc.sample(fc.shuffledSubarray(records, { minLength: size, maxLength: size }), { seed, numRuns: 1 })[0]
        const c = new Correlator({ graceWindowMs: 1_000, maxHeldSpans: 1_000, maxKnownSpans: 1_000 })
        const out: SpanRecord[] = []
        let at = 0
        for (let b = 0; at < shuffled.length; b++) {
          const take = cuts[b % cuts.length]
          out.push(...c.add(shuffled.slice(at, at + take), b))
          at += take
        }
        expect(c.held()).toBe(0)
        expect(out).toHaveLength(size)
        expect(new Set(out)).toEqual(new Set(records))
        for (const record of out) {
          for (const event of record.events) {
            expect(event.task_id).toBe('root-task')
            expect(event.flags).not.toContain('orphan')
          }
        }
        const root = out.find((record) => record.spanId === 's0')!
        expect(root.events.filter((event) => event.kind === 'task_start')).toHaveLength(1)
        expect(out.flatMap((record) => record.events).filter((event) => event.kind === 'task_start')).toHaveLength(1)
      }),
      { numRuns: 300 },
    )
  })

  it('with the root missing and a tiny hold: every record still comes out exactly once', () => {
    fc.assert(
      fc.property(tree, fc.integer({ min: 0, max: 4 }), ([size, parents], maxHeld) => {
        const records = spanRecords(size, parents).slice(1)
        const c = new Correlator({ graceWindowMs: 10, maxHeldSpans: maxHeld, maxKnownSpans: 3 })
        const out = [...c.add(records, 0), ...c.expire(5), ...c.expire(100)]
        expect(c.held()).toBe(0)
        expect(out).toHaveLength(records.length)
        expect(new Set(out)).toEqual(new Set(records))
        for (const record of out) for (const event of record.events) expect(event.task_id).toBe(TRACE)
      }),
      { numRuns: 300 },
    )
  })
})
