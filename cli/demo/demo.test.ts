import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createTelemetry } from '../../core/telemetry.js'
import type { App } from '../../server/index.js'
import { up } from '../commands/up.js'
import { parseTenantKeys } from '../commands/demo.js'
import { anomalies } from './anomalies.js'
import { runDemo } from './demo.js'

const TENANT_KEYS = { acme: 'key-acme', globex: 'key-globex', initech: 'key-initech' }
const ADMIN_KEY = 'key-admin'
let app: App
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'privpath-demo-'))
  const keys = [...Object.entries(TENANT_KEYS).map(([tenant, key]) => `${tenant}:${key}`), `*:${ADMIN_KEY}`]
  // A short allowed lateness so absences with a grace (privileged tool without allow: 10 s) fire
  // soon after it, not 30 s later; everything else is the default configuration.
  const config = join(dataDir, 'privpath.yaml')
  await writeFile(config, 'detector:\n  allowed_lateness_ms: 1000\n')
  app = await up(
    { port: '0', host: '127.0.0.1', dataDir, config },
    { env: { PRIVPATH_TENANT_KEYS: keys.join(','), PRIVPATH_GRPC_PORT: '0' }, telemetry: createTelemetry({ level: 'warn', defaultMetrics: false }) },
  )
}, 120_000)

afterAll(async () => {
  await app?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe('privpath demo', () => {
  it('covers every built-in rule with a scenario, and names no rule that does not exist', async () => {
    const files = (await readdir('rules')).filter((file) => file.endsWith('.yaml'))
    const ruleIds = await Promise.all(files.map(async (file) => (parse(await readFile(join('rules', file), 'utf8')) as { id: string }).id))
    const covered = new Set(anomalies().flatMap((scenario) => scenario.expects))
    expect(ruleIds.filter((id) => !covered.has(id))).toEqual([])
    expect([...covered].filter((id) => !ruleIds.includes(id))).toEqual([])
  })

  it('parses --tenant-key values and refuses malformed ones', () => {
    expect(parseTenantKeys(['acme:k1', 'globex:k:2'])).toEqual({ acme: 'k1', globex: 'k:2' })
    expect(() => parseTenantKeys(['acme'])).toThrow(/tenant:key/)
    expect(() => parseTenantKeys([':k'])).toThrow(/tenant:key/)
  })

  it('refuses a rate of 0 and a single tenant key before sending anything', async () => {
    await expect(runDemo({ endpoint: app.url, rate: 0, tasks: 1 }, () => undefined)).rejects.toThrow(/--rate/)
    await expect(runDemo({ endpoint: app.url, rate: 1, tasks: 1, tenantKeys: { acme: 'key-acme' } }, () => undefined)).rejects.toThrow(/two tenants/)
  })

  it('makes a running privpath raise every expected rule on its scenario, and nothing on normal tasks', async () => {
    const lines: string[] = []
    const report = await runDemo(
      { endpoint: app.url, rate: 50, tasks: 6, tenantKeys: TENANT_KEYS, apiKey: ADMIN_KEY, runId: 'demo-test', waitMs: 90_000 },
      (line) => lines.push(line),
    )
    expect(report.runs.filter((run) => run.error !== undefined)).toEqual([])
    expect(report.skipped).toEqual([])
    expect(report.check?.missing.map((m) => `${m.ruleId} (${m.scenario})`)).toEqual([])
    expect(report.check?.unexpected.map((a) => `${a.rule_id} on ${a.task_id}`)).toEqual([])
    const output = lines.join('\n')
    expect(output).toContain('privpath should flag:')
    for (const ruleId of new Set(report.expectations.map((e) => e.ruleId))) expect(output).toContain(`✓ ${ruleId}`)
  }, 150_000)

  it('with per-tenant keys and no deployment key skips the scenario that spans two tenants, and says why', async () => {
    const lines: string[] = []
    const report = await runDemo({ endpoint: app.url, rate: 1_000, tasks: 0, tenantKeys: TENANT_KEYS, runId: 'demo-nodeployment' }, (line) => lines.push(line))
    expect(report.skipped.map((s) => s.scenario)).toEqual(["one tenant's credential used in another tenant's task"])
    expect(lines.join('\n')).toContain('its own isolation domain')
  }, 60_000)

  it('without tenant keys skips only the spoofing scenario and says why', async () => {
    const requests: string[] = []
    const otlp = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`)
      request.resume().on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end())
    })
    await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve))
    try {
      const endpoint = `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`
      const lines: string[] = []
      const report = await runDemo({ endpoint, rate: 1_000, tasks: 0, runId: 'demo-nokeys' }, (line) => lines.push(line))
      expect(report.skipped.map((s) => s.scenario)).toEqual(["tenant spoofing: one tenant's key, another tenant's claim"])
      expect(report.runs.filter((run) => run.error !== undefined)).toEqual([])
      expect(report.tenants).toEqual(['acme', 'globex', 'initech'])
      expect(lines.some((line) => line.includes('skipped: tenant spoofing'))).toBe(true)
      expect(requests.filter((r) => r === 'POST /v1/traces').length).toBeGreaterThan(0)
    } finally {
      await new Promise<void>((resolve) => otlp.close(() => resolve()))
    }
  }, 60_000)

  it('names the address when privpath cannot be reached', async () => {
    await expect(runDemo({ endpoint: 'http://127.0.0.1:9', rate: 1, tasks: 0 }, () => undefined)).rejects.toThrow(/cannot reach privpath at http:\/\/127.0.0.1:9/)
  })
})
