/** Starting privpath in-process for cross-component tests, and small HTTP helpers. */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApp, type App, type AppOptions } from '../server/index.js'
import { validateConfig } from '../core/config/load.js'
import { silentTelemetry, type Telemetry } from '../core/telemetry.js'

export interface TestApp {
  app: App
  dataDir: string
  telemetry: Telemetry
}

/**
 * `settings` is raw configuration (as in YAML); port 0, gRPC off and a fresh data dir unless given
 * (`options.ephemeralGrpcPort` serves gRPC on a free port: tests start many apps at once).
 */
export async function startTestApp(settings: Record<string, unknown> = {}, options: Partial<AppOptions> = {}): Promise<TestApp> {
  const dataDir = ((settings.store as { data_dir?: string } | undefined)?.data_dir) ?? (await mkdtemp(join(tmpdir(), 'privpath-e2e-')))
  const raw = {
    roles: ['collector', 'writer', 'api'],
    ...settings,
    server: { port: 0, grpc_port: 0, ...(settings.server as object) },
    store: { insert_flush_ms: 20, ...(settings.store as object), data_dir: dataDir },
  }
  const telemetry = silentTelemetry()
  const app = await startApp({ config: validateConfig(raw), telemetry, ...options })
  return { app, dataDir, telemetry }
}

/** An events consumer that takes nothing until released, then records the task ids it saw. */
export async function stalledConsumer(target: TestApp): Promise<{ seen: Set<string>; release: () => void }> {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const seen = new Set<string>()
  await target.app.bus.subscribe('events', { group: 'slow-consumer' }, async (messages) => {
    await gate
    for (const m of messages) seen.add(m.value.task_id)
  })
  return { seen, release }
}

export async function getJson<T = any>(url: string, key?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T }
}

export async function postOtlp(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = { 'content-type': 'application/x-protobuf' },
): Promise<Response> {
  return fetch(url, { method: 'POST', headers, body })
}
