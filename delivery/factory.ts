/**
 * From sink configuration to sinks. Checks what each type needs up front, with errors that name
 * the sink and the setting but never echo its value.
 */
import type { SinkConfig } from '../core/config/schema.js'
import { PrivpathError } from '../core/errors.js'
import type { Sink } from './sink.js'
import { SlackSink } from './slack/sink.js'
import type { ThreadStore } from './slack/threads.js'
import { WebhookSink } from './webhook/sink.js'

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}

/** Problems with the sink list, one line each (empty when fine). */
function sinkProblems(sinks: readonly SinkConfig[]): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  sinks.forEach((sink, index) => {
    const where = `alerts.sinks[${index}] "${sink.name}"`
    if (seen.has(sink.name)) problems.push(`${where}: duplicate sink name`)
    seen.add(sink.name)
    if (sink.url && !isHttpUrl(sink.url)) problems.push(`${where}.url: must be an http(s) URL (value not shown)`)
    if (sink.type === 'webhook' && !sink.url) problems.push(`${where}.url: a webhook sink needs a url`)
    if (sink.type === 'slack') {
      if (sink.token && !sink.channel) problems.push(`${where}.channel: a slack sink with a token needs a channel`)
      if (!sink.token && !sink.url) problems.push(`${where}: a slack sink needs an incoming-webhook url, or a token and a channel`)
      if (sink.token && !isHttpUrl(sink.api_url)) problems.push(`${where}.api_url: must be an http(s) URL`)
    }
    if (sink.backoff_max_ms < sink.backoff_base_ms) problems.push(`${where}.backoff_max_ms: must be at least backoff_base_ms`)
  })
  return problems
}

export function assertSinks(sinks: readonly SinkConfig[]): void {
  const problems = sinkProblems(sinks)
  if (problems.length > 0) throw new PrivpathError('PP_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`)
}

export function createSink(config: SinkConfig, options: { threads?: ThreadStore } = {}): Sink {
  return config.type === 'slack' ? new SlackSink(config, { threads: options.threads }) : new WebhookSink(config)
}
