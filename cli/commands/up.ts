/**
 * `privpath up`: loads configuration (defaults ← file ← environment ← flags), starts the roles and
 * serves until SIGINT/SIGTERM, then shuts down cleanly (exit 0). A second signal exits at once.
 */
import type { Command } from 'commander'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { createTelemetry } from '../../core/telemetry.js'
import { startApp, type App, type AppOptions } from '../../server/index.js'

export interface UpFlags {
  config?: string
  roles?: string
  port?: string
  host?: string
  dataDir?: string
}

const SHUTDOWN_DEADLINE_MS = 60_000

export function configFromFlags(flags: UpFlags, env: Record<string, string | undefined> = process.env): Config {
  const overrides: Array<{ path: readonly string[]; value: unknown }> = []
  if (flags.roles !== undefined) overrides.push({ path: ['roles'], value: flags.roles.split(',').map((r) => r.trim()).filter(Boolean) })
  if (flags.port !== undefined) overrides.push({ path: ['server', 'port'], value: /^\d+$/.test(flags.port) ? Number(flags.port) : flags.port })
  if (flags.host !== undefined) overrides.push({ path: ['server', 'host'], value: flags.host })
  if (flags.dataDir !== undefined) overrides.push({ path: ['store', 'data_dir'], value: flags.dataDir })
  return loadConfig({ env, file: flags.config, overrides })
}

/** Starts privpath as `up` does, without signal handling (tests and embedding). */
export async function up(flags: UpFlags, options: Partial<Omit<AppOptions, 'config'>> & { env?: Record<string, string | undefined> } = {}): Promise<App> {
  const config = configFromFlags(flags, options.env)
  const telemetry = options.telemetry ?? createTelemetry({ level: config.log_level })
  return startApp({ ...options, config, telemetry })
}

export function register(program: Command): void {
  program
    .command('up')
    .description('run privpath: the OTLP receiver, writer, detector, alert delivery and API in one process, or the roles given')
    .option('-c, --config <file>', 'YAML configuration file (also PRIVPATH_CONFIG)')
    .option('--roles <list>', 'comma-separated roles: collector,writer,detector,delivery,api (default: all)')
    .option('--port <port>', 'HTTP port (server.port, default 4318)')
    .option('--host <host>', 'address to listen on (server.host, default 127.0.0.1)')
    .option('--data-dir <dir>', 'embedded store, WAL and outboxes (store.data_dir, default ./data)')
    .action(async (flags: UpFlags) => {
      const config = configFromFlags(flags)
      const telemetry = createTelemetry({ level: config.log_level })
      // Installed before start-up, so a SIGHUP sent as soon as "privpath is up" shows (or earlier)
      // never meets the default action, which ends the process.
      let app: App | undefined
      let reloadWhenStarted = false
      const reload = (started: App) => {
        telemetry.logger.info('SIGHUP: reloading rules')
        started.reloadRules().catch((err: unknown) => telemetry.logger.error({ err }, 'rule reload failed'))
      }
      process.on('SIGHUP', () => {
        if (app !== undefined) reload(app)
        else reloadWhenStarted = true
      })
      const started = await startApp({ config, telemetry })
      app = started
      if (reloadWhenStarted) reload(started)
      let stopping = false
      const shutdown = (signal: NodeJS.Signals) => {
        if (stopping) {
          telemetry.logger.warn({ signal }, 'second signal: exiting without finishing shutdown')
          process.exit(1)
        }
        stopping = true
        telemetry.logger.info({ signal }, 'shutting down: draining collector, flushing writer')
        // Not unref'd: retry waits are (a retry loop alone must not keep a process up), so during a
        // stop that waits on a failing bus this timer is what keeps the process until it exits 1.
        setTimeout(() => {
          telemetry.logger.error({ ms: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting (the WAL replays what was not published)')
          process.exit(1)
        }, SHUTDOWN_DEADLINE_MS)
        started.stop().then(
          () => {
            telemetry.logger.info('stopped')
            process.exit(0)
          },
          (err: unknown) => {
            telemetry.logger.error({ err }, 'shutdown failed')
            process.exit(1)
          },
        )
      }
      process.on('SIGINT', shutdown)
      process.on('SIGTERM', shutdown)
    })
}
