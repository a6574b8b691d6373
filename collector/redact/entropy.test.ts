import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hasOnlySimpleSegments, isHighEntropyToken, nextTokenRun, TOKEN_RUN } from './entropy.js'

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

/** The definition the in-place scan replaced: split on separators, drop empty pieces, test each. */
function simpleBySplit(token: string): boolean {
  return token
    .split(/[-_./+]/)
    .filter((segment) => segment.length > 0)
    .every((segment) => segment.length <= 6 || /^(?:[A-Za-z]+|[0-9]+|[0-9a-fA-F]+)$/.test(segment))
}

describe('hasOnlySimpleSegments', () => {
  it('agrees with splitting on separators and testing each segment', () => {
    const unit = fc.oneof(
      fc.constantFrom('-', '_', '.', '/', '+', '=', 'a', 'f', 'g', 'Z', 'F', '0', '9', 'é', '\u212a', ' '),
      fc.stringMatching(/^(?:[A-Za-z]{5,9}|[0-9]{5,9}|[0-9a-fA-F]{5,9})$/),
    )
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }), (pieces) => {
        const token = pieces.join('')
        expect(hasOnlySimpleSegments(token)).toBe(simpleBySplit(token))
      }),
      { numRuns: 5000 },
    )
  })

  it('decides a token of simple segments is no secret, with or without base64 padding', () => {
    expect(isHighEntropyToken('claude-sonnet-4-2025-08-01')).toBe(false)
    expect(isHighEntropyToken('/data/tenant-1/report_quarterly')).toBe(false)
    expect(isHighEntropyToken('q8Xz3LmP0vRt7YbN2wKc5JhD')).toBe(true)
    expect(isHighEntropyToken('q8Xz3LmP0vRt7YbN2wKc5JhD==')).toBe(true)
    expect(isHighEntropyToken('abcdefghijklmnopqrs=====')).toBe(false)
  })
})
