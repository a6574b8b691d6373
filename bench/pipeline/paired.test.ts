import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { agentTaskRequests } from '../../testkit/fixtures/agent-tasks.js'
import { collectorPipeline, pairedRatios, runPaired, type Side } from './paired.js'

/** A fake CPU clock that each side advances by its cost per body. */
function sides(costs: [number, number], log: string[]) {
  let clock = 0
  const side = (name: string, cost: number): Side => ({
    step(batch) {
      log.push(`${name}:${batch.map((body) => body[0]).join(',')}`)
      clock += cost * batch.length
      return batch.length
    },
  })
  return { pair: [side('a', costs[0]), side('b', costs[1])] as [Side, Side], cpu: () => clock }
}

const set = (...ids: number[]) => ids.map((id) => Uint8Array.of(id))

describe('runPaired', () => {
  it('gives every batch to both sides, alternating which goes first, across set boundaries', () => {
    const log: string[] = []
    const { pair, cpu } = sides([1, 1], log)
    const result = runPaired(pair, [set(1, 2, 3), set(4, 5)], 2, cpu)
    expect(log).toEqual(['a:1,2', 'b:1,2', 'b:3', 'a:3', 'a:4,5', 'b:4,5'])
    expect(result.items).toEqual([5, 5])
  })

  it('charges each side its own CPU time per item, set by set', () => {
    const { pair, cpu } = sides([3, 2], [])
    const result = runPaired(pair, [set(1, 2, 3, 4), set(5, 6)], 3, cpu)
    expect(result.perSet).toEqual([
      [3, 3],
      [2, 2],
    ])
    expect(pairedRatios(result, 0)).toEqual({ median: 1.5, min: 1.5, max: 1.5, overall: 1.5, sets: 2 })
  })
})

describe('pairedRatios', () => {
  it('leaves out the warm-up sets and weighs the overall ratio by CPU per item', () => {
    const result = { perSet: [[100, 4, 6, 3] as number[], [1, 2, 2, 3] as number[]] as [number[], number[]], items: [4, 4] as [number, number] }
    expect(pairedRatios(result, 1)).toEqual({ median: 2, min: 1, max: 3, overall: 13 / 7, sets: 3 })
  })

  it('refuses when warm-up leaves no set to measure', () => {
    expect(() => pairedRatios({ perSet: [[1], [1]], items: [1, 1] }, 1)).toThrow('no measured sets after 1 warm-up sets')
  })
})

describe('collectorPipeline', () => {
  it("runs this tree's collector steps on agent-task requests and counts their spans", async () => {
    const { bodies, spanCount } = agentTaskRequests({ tasks: 20, spansPerRequest: 50, tenants: 2, seed: 3 })
    const pipeline = await collectorPipeline(fileURLToPath(new URL('../..', import.meta.url)))
    let spans = 0
    for (let start = 0; start < bodies.length; start += 2) spans += pipeline.step(bodies.slice(start, start + 2))
    expect(spans).toBe(spanCount)
  })
})
