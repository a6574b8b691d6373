/** The console's severity order is core's, most severe first: the browser code cannot import it. */
import { describe, expect, it } from 'vitest'
import { SEVERITIES } from '../../core/alert.js'
// @ts-expect-error plain browser module without type declarations
import { SEVERITIES as CONSOLE_SEVERITIES } from './format.js'

describe('console severities', () => {
  it('are core SEVERITIES, most severe first', () => {
    expect(CONSOLE_SEVERITIES).toEqual([...SEVERITIES].reverse())
  })
})
