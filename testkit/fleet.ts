/**
 * A running privpath (every role, on chDB in a temp dir, tenant keys on)
 * seeded by `privpath demo`'s fleet through @privpath/sdk and real OTLP: normal tasks plus one
 * scenario per built-in rule, waited on until every expected alert is stored.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { App } from '../server/index.js'
import { up } from '../cli/commands/up.js'
import { runDemo, type DemoReport } from '../cli/demo/index.js'
import { createTelemetry } from '../core/telemetry.js'
import { startDetector } from '../detector/index.js'

export const TENANT_KEYS = { acme: 'key-acme', globex: 'key-globex', initech: 'key-initech' } as const
export const ADMIN_KEY = 'key-admin'

export interface SeededFleet {
  app: App
  report: DemoReport
  /** `${runId}-<label>`, the demo's task and credential ids. */
  id(label: string): string
  stop(): Promise<void>
}

export async function startSeededFleet(options: { runId: string; normalTasks?: number }): Promise<SeededFleet> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privpath-fleet-'))
  const keys = [...Object.entries(TENANT_KEYS).map(([tenant, key]) => `${tenant}:${key}`), `*:${ADMIN_KEY}`]
  const app = await up(
    { port: '0', host: '127.0.0.1', dataDir },
    {
      env: { PRIVPATH_TENANT_KEYS: keys.join(','), PRIVPATH_GRPC_PORT: '0' },
      telemetry: createTelemetry({ level: 'warn', defaultMetrics: false }),
      roles: {
        // No rule-file watching: several fleets in one test run share the built-in rules folder.
        detector: async ({ config, bus, telemetry }) => {
          const running = startDetector({ bus, config: config.detector, telemetry, watchRules: false })
          await running.ready
          return { stop: () => running.stop() }
        },
      },
    },
  )
  const stop = async () => {
    await app.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const report = await runDemo(
      { endpoint: app.url, rate: 50, tasks: options.normalTasks ?? 4, tenantKeys: { ...TENANT_KEYS }, apiKey: ADMIN_KEY, runId: options.runId, waitMs: 60_000 },
      () => undefined,
    )
    const missing = report.check?.missing ?? []
    if (missing.length > 0) throw new Error(`seeding: alerts not raised: ${missing.map((m) => m.ruleId).join(', ')}`)
    // Alerts are stored at once, events within the writer's flush interval: wait for the events too.
    await app.drain()
    return { app, report, id: (label) => `${options.runId}-${label}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
