/**
 * `privpath demo`: drives a simulated multi-tenant agent fleet through @privpath/sdk and the
 * OpenTelemetry OTLP exporter against a running privpath, and prints what it sent and which rules
 * should fire. Walkthrough: docs/demo.md.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api'
import type { Command } from 'commander'
import { runDemo } from '../demo/index.js'

interface DemoFlags {
  endpoint: string
  rate: string
  tasks: string
  apiKey?: string
  tenantKey: string[]
  wait: string
}

function collectTenantKey(value: string, previous: string[]): string[] {
  return [...previous, value]
}

export function parseTenantKeys(values: string[]): Record<string, string> {
  const keys: Record<string, string> = {}
  for (const value of values) {
    const at = value.indexOf(':')
    if (at <= 0 || at === value.length - 1) throw new Error(`--tenant-key: expected tenant:key, got "${value}"`)
    keys[value.slice(0, at)] = value.slice(at + 1)
  }
  return keys
}

function positiveNumber(flag: string, value: string): number {
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${flag}: expected a number >= 0, got "${value}"`)
  return parsed
}

/** Export failures (refused connection, 401) would otherwise only reach OTel's silent default logger. */
const exportErrors: DiagLogger = {
  error: (message, ...args) => process.stderr.write(`privpath demo: export: ${message} ${args.map(String).join(' ')}\n`),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('send a simulated multi-tenant agent fleet (normal tasks plus one scenario per built-in rule) to a running privpath')
    .option('--endpoint <url>', 'privpath OTLP/HTTP and API address', 'http://127.0.0.1:4318')
    .option('--rate <n>', 'tasks started per second', '5')
    .option('--tasks <n>', 'normal tasks besides the anomaly scenarios', '20')
    .option('--api-key <key>', 'key sent with every request (and used to read alerts back)')
    .option('--tenant-key <tenant:key>', "a tenant's own key (repeat for each tenant; enables the spoofing scenario)", collectTenantKey, [])
    .option('--wait <seconds>', 'then wait up to this long for the expected alerts and report them (exit 1 if any is missing)', '0')
    .action(async (flags: DemoFlags) => {
      diag.setLogger(exportErrors, DiagLogLevel.ERROR)
      const report = await runDemo(
        {
          endpoint: flags.endpoint,
          rate: positiveNumber('--rate', flags.rate),
          tasks: positiveNumber('--tasks', flags.tasks),
          apiKey: flags.apiKey,
          tenantKeys: parseTenantKeys(flags.tenantKey),
          waitMs: positiveNumber('--wait', flags.wait) * 1_000,
        },
        (line) => process.stdout.write(`${line}\n`),
      )
      const failed = report.runs.some((run) => run.error !== undefined) || (report.check?.missing.length ?? 0) > 0
      if (failed) process.exitCode = 1
    })
}
