/**
 * `privpath alerts …`: check sinks and recover dead letters.
 *
 *   alerts test [--sink name]                 send a synthetic alert straight to each sink, report outcomes
 *   alerts dead-letters [--sink name]         list dead letters in the data directory
 *   alerts redeliver [--sink name] [--id id]  move dead letters back to their outboxes; when a running
 *                                             server owns the outbox, asks it via POST /api/deliveries/redeliver
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { request } from 'undici'
import { type Alert, alertId } from '../../core/alert.js'
import { loadConfig } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { assertSinks, createSink, idempotencyKey, lockOwner, type Notification, OutboxStore, secretScrubber, sinkSecrets } from '../../delivery/index.js'

type Write = (line: string) => void

function testAlert(now = Date.now()): Alert {
  const key = randomUUID()
  return {
    alert_id: alertId('privpath_test', key, now),
    rule_id: 'privpath_test',
    rule_title: 'privpath test alert',
    severity: 'info',
    category: 'incident',
    tenant_id: 'privpath-test',
    task_id: 'test-task',
    agent_id: 'privpath-cli',
    summary: 'A test alert sent by `privpath alerts test`; no action is needed.',
    path: 'privpath alerts test → sink',
    dedup_key: key,
    event_ids: [],
    frameworks: [],
    tags: ['test'],
    runbook: '',
    count: 1,
    first_seen: now,
    last_seen: now,
    window_start: now,
    updated_at: now,
  }
}

/** Sends one test alert to each configured sink (or the one named); returns the exit code. */
export async function runAlertTest(config: Config, options: { sink?: string }, write: Write): Promise<number> {
  assertSinks(config.alerts.sinks)
  const chosen = config.alerts.sinks.filter((s) => options.sink === undefined || s.name === options.sink)
  if (chosen.length === 0) {
    const known = config.alerts.sinks.map((s) => s.name).join(', ') || 'none configured'
    write(options.sink === undefined ? 'no sinks configured (alerts.sinks, PRIVPATH_SLACK_WEBHOOK_URL, PRIVPATH_WEBHOOK_URL)' : `unknown sink "${options.sink}" (sinks: ${known})`)
    return 2
  }
  const scrub = secretScrubber(sinkSecrets(config.alerts.sinks))
  const notification: Notification = { kind: 'alert', alert: testAlert(), test: true }
  let failed = 0
  for (const sinkConfig of chosen) {
    const sink = createSink(sinkConfig)
    const started = Date.now()
    try {
      const outcome = await sink.send(notification, {
        attempt: 1,
        idempotencyKey: idempotencyKey(notification),
        signal: AbortSignal.timeout(sinkConfig.timeout_ms),
        publicUrl: config.server.public_url,
      })
      const ms = Date.now() - started
      if (outcome.status === 'delivered') write(`ok      ${sinkConfig.name} (${sinkConfig.type}) in ${ms} ms`)
      else {
        failed++
        const kind = outcome.status === 'retry' ? 'retryable' : 'permanent'
        write(`FAILED  ${sinkConfig.name} (${sinkConfig.type}) ${kind}: ${scrub(outcome.error)}`)
      }
    } finally {
      await sink.close?.()
    }
  }
  return failed === 0 ? 0 : 1
}

function sinkDirs(outboxDir: string, sink: string | undefined): string[] {
  const all = existsSync(outboxDir)
    ? readdirSync(outboxDir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name)
    : []
  if (sink === undefined) return all
  if (!all.includes(sink)) throw new Error(`no outbox for sink "${sink}" under ${outboxDir} (found: ${all.join(', ') || 'none'})`)
  return [sink]
}

/** Dead letters back to pending, straight in the data directory (server stopped). */
export async function redeliverOffline(dataDir: string, filter: { sink?: string; id?: string }): Promise<Record<string, number>> {
  const outboxDir = join(dataDir, 'outbox')
  const owner = lockOwner(outboxDir)
  if (owner !== undefined) throw new Error(`the outbox is owned by running process ${owner}; use --url to ask its API`)
  const moved: Record<string, number> = {}
  for (const name of sinkDirs(outboxDir, filter.sink)) {
    const store = await OutboxStore.open(join(outboxDir, name))
    moved[name] = (await store.redeliver({ id: filter.id }, Date.now())).length
  }
  return moved
}

async function redeliverOnline(baseUrl: string, apiKey: string | undefined, filter: { sink?: string; id?: string }): Promise<Record<string, number>> {
  const response = await request(`${baseUrl.replace(/\/+$/, '')}/api/deliveries/redeliver`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify(filter),
  })
  const text = await response.body.text()
  if (response.statusCode !== 200) throw new Error(`server answered HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
  return (JSON.parse(text) as { redelivered: Record<string, number> }).redelivered
}

interface CommonOptions {
  config?: string
  dataDir?: string
  sink?: string
}

function load(options: CommonOptions): Config {
  return loadConfig({ file: options.config, overrides: options.dataDir ? [{ path: ['store', 'data_dir'], value: options.dataDir }] : [] })
}

export function register(program: Command): void {
  const alerts = program.command('alerts').description('alert delivery: test sinks, list and redeliver dead letters')
  const out: Write = (line) => process.stdout.write(`${line}\n`)

  alerts
    .command('test')
    .description('send a synthetic test alert straight to the configured sinks and report each outcome')
    .option('-c, --config <file>', 'configuration file (default: $PRIVPATH_CONFIG)')
    .option('--sink <name>', 'only this sink')
    .action(async (options: CommonOptions) => {
      process.exitCode = await runAlertTest(load(options), { sink: options.sink }, out)
    })

  alerts
    .command('dead-letters')
    .description('list dead letters kept in the data directory')
    .option('-c, --config <file>', 'configuration file (default: $PRIVPATH_CONFIG)')
    .option('--data-dir <dir>', 'data directory (default: store.data_dir)')
    .option('--sink <name>', 'only this sink')
    .action(async (options: CommonOptions) => {
      const outboxDir = join(load(options).store.data_dir, 'outbox')
      let total = 0
      for (const name of sinkDirs(outboxDir, options.sink)) {
        for (const entry of await (await OutboxStore.open(join(outboxDir, name))).list('dead')) {
          total++
          out(`${name}\t${entry.id}\tv${entry.version}\tattempts=${entry.attempts}\t${new Date(entry.dead_at).toISOString()}\t${entry.last_error}`)
        }
      }
      out(`${total} dead letter${total === 1 ? '' : 's'}`)
    })

  alerts
    .command('redeliver')
    .description('move dead letters back to their outboxes for another round of attempts')
    .option('-c, --config <file>', 'configuration file (default: $PRIVPATH_CONFIG)')
    .option('--data-dir <dir>', 'data directory (default: store.data_dir)')
    .option('--sink <name>', 'only this sink')
    .option('--id <alert_id>', 'only this alert')
    .option('--url <base>', 'API of the running server (default when the outbox is in use: http://<server.host>:<server.port>)')
    .option('--api-key <key>', 'admin key for the API (default: $PRIVPATH_API_KEY)')
    .action(async (options: CommonOptions & { id?: string; url?: string; apiKey?: string }) => {
      const config = load(options)
      const filter = { sink: options.sink, id: options.id }
      const live = options.url !== undefined || lockOwner(join(config.store.data_dir, 'outbox')) !== undefined
      const moved = live
        ? await redeliverOnline(options.url ?? `http://${config.server.host}:${config.server.port}`, options.apiKey ?? process.env.PRIVPATH_API_KEY, filter)
        : await redeliverOffline(config.store.data_dir, filter)
      for (const [sink, n] of Object.entries(moved)) out(`${sink}: ${n} redelivered`)
      out(`${Object.values(moved).reduce((a, b) => a + b, 0)} dead letters moved back to the outbox${live ? ' (via the running server)' : ''}`)
    })
}
