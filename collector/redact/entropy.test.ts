import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nextTokenRun, TOKEN_RUN } from './entropy.js'

function byRegex(text: string): string[] {
  return [...text.matchAll(new RegExp(TOKEN_RUN.source, 'g'))].map((match) => match[0])
}

function byScan(text: string): string[] {
  const runs: string[] = []
  const start = [0]
  for (let end = nextTokenRun(text, 0, start); end !== -1; end = nextTokenRun(text, end, start)) runs.push(text.slice(start[0], end))
  return runs
}

describe('nextTokenRun', () => {
  it('finds exactly the runs TOKEN_RUN matches', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'Z', '0', '+', '/', '=', '_', '-', ' ', '.', ':', '"', '\n', 'é', '😀', '\u0000', '\u017f', '\u212a'),
      fc.string({ minLength: 1, maxLength: 1 }),
    )
    fc.assert(
      fc.property(fc.array(fc.oneof(unit, fc.stringMatching(/^[A-Za-z0-9+/=_-]{15,25}$/)), { maxLength: 40 }), (pieces) => {
        const text = pieces.join('')
        expect(byScan(text)).toEqual(byRegex(text))
      }),
      { numRuns: 3000 },
    )
  })

  it('reports runs at the very start and end, and none below 20 characters', () => {
    const run = 'A'.repeat(20)
    expect(byScan(`${run} x ${run}`)).toEqual([run, run])
    expect(byScan('B'.repeat(19))).toEqual([])
    expect(byScan('')).toEqual([])
  })
})
