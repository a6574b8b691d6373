import { describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '../core/store/index.js'
import { storeQueries } from './store-queries.js'

describe('storeQueries', () => {
  it('passes every alert filter of the API on to the store, category included', async () => {
    const asked: Array<{ query: string; query_params?: Record<string, unknown> }> = []
    const client = {
      query: async (request: { query: string; query_params?: Record<string, unknown> }) => {
        asked.push(request)
        return { json: async () => [] }
      },
    } as unknown as ClickHouseClient
    await storeQueries(client, 'privpath').listAlerts(
      { rule: 'r', task: 't', severity: 'high', category: 'posture', limit: 10 } as never,
      { tenant: '*' },
    )
    expect(asked[0].query).toContain('category = {category:String}')
    expect(asked[0].query_params).toMatchObject({ rule: 'r', task: 't', severity: 'high', category: 'posture' })
  })
})
