import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DB, openTestStore, type TestStore } from '../../testkit/store.js'
import { readLoadedRules, recordLoadedRules, type LoadedRule } from './rules.js'

// Loads inside the table's TTL (90 days), or ClickHouse drops them on write.
const T0 = Date.now() - 60_000
const rule = (id: string, frameworks: string[]): LoadedRule => ({
  rule_id: id,
  title: `title ${id}`,
  description: 'd',
  severity: 'high',
  status: 'stable',
  frameworks,
  tags: ['t'],
  file: `/rules/${id}.yaml`,
})

let store: TestStore
beforeAll(async () => (store = await openTestStore()))
afterAll(async () => store.destroy())

describe('rules table', () => {
  it('reads back the newest load only, with frameworks', async () => {
    expect(await readLoadedRules(store.client, DB)).toEqual([])
    await recordLoadedRules(store.client, DB, [rule('a', ['owasp_agentic:ASI02']), rule('b', [])], T0)
    await recordLoadedRules(store.client, DB, [rule('a', ['owasp_agentic:ASI03', 'maestro:L7'])], T0 + 1_000)
    expect(await readLoadedRules(store.client, DB)).toEqual([{ ...rule('a', ['owasp_agentic:ASI03', 'maestro:L7']), loaded_at: T0 + 1_000 }])
  })

  it('records nothing for an empty load', async () => {
    await recordLoadedRules(store.client, DB, [], T0 + 2_000)
    expect((await readLoadedRules(store.client, DB)).map((r) => r.loaded_at)).toEqual([T0 + 1_000])
  })
})
