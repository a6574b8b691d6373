import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../core/errors.js'

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const rows = new Map(
    [...doc.matchAll(/^\| `(PP_ERR_[A-Z_]+)` \| (\d{3})/gm)].map((m) => [m[1], Number(m[2])] as const),
  )

  it('documents every error code with its HTTP status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(rows.get(code), `${code} missing from docs/errors.md`).toBe(status)
    }
  })

  it('documents no code that does not exist', () => {
    for (const code of rows.keys()) expect(Object.keys(ERROR_CODES)).toContain(code)
  })
})
