import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import { describe, expect, it } from 'vitest'
import { attributeTables, cedarSchema, CONTEXT, defaultOf, type Attr } from './schema.js'

const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs', 'decisions.md')

describe('the Cedar schema of PolicyInput', () => {
  it('is a schema Cedar accepts, with the actions asked for or a placeholder', () => {
    for (const actions of [[], ['payments.transfer', 'db.drop']]) {
      const schema = cedarSchema(actions)
      expect(cedar.checkParseSchema(schema)).toEqual({ type: 'success' })
      expect(Object.keys(schema[''].actions)).toEqual(actions.length > 0 ? actions : ['any tool'])
    }
  })

  it('fills defaults: none-values for strings and numbers, every record attribute present', () => {
    const context = defaultOf(CONTEXT as unknown as Attr) as Record<string, unknown>
    expect(Object.keys(context)).toEqual(Object.keys(CONTEXT.attributes))
    expect(context).toMatchObject({ tool: '', privileged: false, delegation_depth: 0, arguments: [], credential: { ttl_ms: -1, scopes: [] } })
  })

  it('is what docs/decisions.md tabulates', async () => {
    const docs = await readFile(DOCS, 'utf8')
    const start = docs.indexOf('-->', docs.indexOf('<!-- attribute tables')) + '-->\n'.length
    const end = docs.indexOf('<!-- end of attribute tables -->')
    // on a difference, paste attributeTables() between the markers
    expect(docs.slice(start, end)).toBe(attributeTables())
  })
})
