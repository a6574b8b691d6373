import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../core/config/load.js'
import { recordRules } from './rules.js'

function setup(rulesDir: string) {
  const lines: string[] = []
  const telemetry = { logger: pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })), registry: new Registry() }
  const inserts: Array<{ table: string; values: Array<Record<string, unknown>> }> = []
  const client = { insert: async (params: { table: string; values: Array<Record<string, unknown>> }) => void inserts.push(params) }
  const config = validateConfig({ detector: { rules_dir: rulesDir } })
  return { lines, telemetry, inserts, client: client as never, config }
}

describe('recordRules', () => {
  it('records every loaded rule with its frameworks in one insert', async () => {
    const { client, config, telemetry, inserts } = setup('')
    expect(await recordRules(client, config, telemetry)).toBe(29)
    expect(inserts).toHaveLength(1)
    expect(inserts[0].table).toBe('`privpath`.`rules`')
    const row = inserts[0].values.find((r) => r.rule_id === 'cross-tenant-tool-routing')
    expect(row).toMatchObject({ severity: 'critical', status: 'stable' })
    expect(row?.frameworks).toEqual(expect.arrayContaining(['owasp_agentic:ASI02', 'maestro:L7', 'owasp_nhi:NHI8']))
    expect(new Set(inserts[0].values.map((r) => r.loaded_at)).size).toBe(1)
  })

  it('records nothing and warns when the rules do not validate or cannot be read, without failing the start', async () => {
    const broken = setup('test/fixtures/rules-broken')
    expect(await recordRules(broken.client, broken.config, broken.telemetry)).toBe(0)
    expect(broken.inserts).toEqual([])
    expect(broken.lines.join('')).toContain('they do not validate')
    const missing = setup('/nonexistent/privpath-rules')
    expect(await recordRules(missing.client, missing.config, missing.telemetry)).toBe(0)
    expect(missing.lines.join('')).toContain('rules not recorded in the store')
  })
})
