import { describe, expect, it } from 'vitest'
import { Ddl, quoteIdentifier } from './ddl.js'
import { plan } from './migrate.js'

const statements = (cluster: string): string[] =>
  plan({ database: 'privpath', cluster, eventsTtlDays: 14 }).flatMap((m) => m.statements)

describe('DDL for a single server or chDB', () => {
  const all = statements('')

  it('uses plain MergeTree engines and no ON CLUSTER', () => {
    expect(all.join('\n')).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/)
    expect(all.find((s) => s.includes('`privpath`.`events`'))).toContain('ENGINE = ReplacingMergeTree()')
    expect(all.find((s) => s.includes('`privpath`.`alerts`'))).toContain('ENGINE = ReplacingMergeTree(updated_at)')
  })

  it('keys events so a replayed event collapses, partitions by day and applies the configured TTL', () => {
    const events = all.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `privpath`.`events`'))!
    expect(events).toContain('ORDER BY (tenant_id, task_id, ts, seq, event_id)')
    expect(events).toContain('PARTITION BY toYYYYMMDD(ts)')
    expect(events).toContain('TTL toDateTime(ts) + INTERVAL 14 DAY')
    expect(events).toMatch(/INDEX idx_credential_id credential_id TYPE bloom_filter/)
    expect(events).toMatch(/INDEX idx_trace_id trace_id TYPE bloom_filter/)
  })
})

describe('DDL for a cluster', () => {
  const all = statements('main')

  it('runs every statement ON CLUSTER, and backfills shard by shard', () => {
    for (const s of all.filter((s) => !s.startsWith('INSERT'))) expect(s).toContain('ON CLUSTER `main`')
    const backfills = all.filter((s) => s.startsWith('INSERT'))
    expect(backfills.length).toBeGreaterThan(0)
    for (const s of backfills) expect(s).toMatch(/SETTINGS parallel_distributed_insert_select = 2$/)
  })

  it('stores rows in Replicated local tables behind Distributed tables of the plain names', () => {
    for (const [name, key] of [
      ['events', 'cityHash64(tenant_id, task_id)'],
      ['task_summary', 'cityHash64(tenant_id, task_id)'],
      ['credentials', 'cityHash64(credential_id)'],
      ['alerts', 'cityHash64(alert_id)'],
      ['task_hours', 'cityHash64(tenant_id, task_id)'],
      ['task_times', 'cityHash64(tenant_id, task_id)'],
    ]) {
      const local = all.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`privpath\`.\`${name}_local\``))!
      expect(local).toMatch(/ENGINE = Replicated\w+MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'/)
      const front = all.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`privpath\`.\`${name}\` `))!
      expect(front).toContain(`AS \`privpath\`.\`${name}_local\``)
      expect(front).toContain(`ENGINE = Distributed('main', 'privpath', '${name}_local', ${key})`)
    }
    expect(all.find((s) => s.includes('`alerts_local`'))).toContain("'{replica}', updated_at)")
  })

  it('feeds the local summary tables from the local events table', () => {
    const views = all.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'))
    expect(views).toHaveLength(4)
    for (const view of views) {
      expect(view).toMatch(/TO `privpath`\.`(task_summary|credentials|task_hours|task_times)_local`/)
      expect(view).toContain('FROM `privpath`.`events_local`')
    }
  })

  it('adds the alert category to the local table and to the Distributed table in front of it', () => {
    const adds = all.filter((s) => s.includes('ADD COLUMN IF NOT EXISTS category'))
    expect(adds.map((s) => /ALTER TABLE (\S+)/.exec(s)?.[1])).toEqual(['`privpath`.`alerts_local`', '`privpath`.`alerts`'])
    for (const add of adds) expect(add).toContain("category LowCardinality(String) DEFAULT 'incident' AFTER severity")
  })

  it('replicates the migrations record to every node', () => {
    expect(all.find((s) => s.includes('schema_migrations'))).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')")
  })
})

describe('identifiers', () => {
  it('rejects names that would need escaping', () => {
    expect(() => quoteIdentifier('privpath; DROP TABLE x')).toThrow(/invalid ClickHouse identifier/)
    expect(() => new Ddl({ database: 'a-b', cluster: '', eventsTtlDays: 1 })).toThrow()
    expect(() => plan({ database: 'privpath', cluster: 'x`y', eventsTtlDays: 1 })).toThrow()
    expect(() => plan({ database: 'privpath', eventsTtlDays: 0 })).toThrow(/eventsTtlDays/)
  })
})
