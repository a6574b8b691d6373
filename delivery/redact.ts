/**
 * Keeping sink secrets (webhook URLs, tokens, HMAC secrets) out of logs, errors and config dumps.
 * `redactConfig` is for showing configuration; `secretScrubber` is the last line of defence for
 * free text (error messages from libraries and receivers) before it is logged or stored.
 */
import type { Config, SinkConfig } from '../core/config/schema.js'

const REDACTED = '[redacted]'

const hide = (value: string) => (value ? REDACTED : '')

function redactSink(sink: SinkConfig): SinkConfig {
  return { ...sink, url: hide(sink.url), token: hide(sink.token), secret: hide(sink.secret) }
}

/** A copy of the configuration safe to print: sink secrets, store password, SASL password and tenant keys hidden. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config)
  copy.alerts.sinks = copy.alerts.sinks.map(redactSink)
  copy.store.password = hide(copy.store.password)
  if (copy.bus.kafka.sasl) copy.bus.kafka.sasl.password = hide(copy.bus.kafka.sasl.password)
  copy.auth.tenant_keys = copy.auth.tenant_keys.map((pair) => `${pair.split(':', 1)[0]}:${REDACTED}`)
  return copy
}

/** Every string whose appearance in a log would leak a sink secret, longest first. */
export function sinkSecrets(sinks: readonly SinkConfig[]): string[] {
  const secrets = new Set<string>()
  for (const sink of sinks) {
    for (const value of [sink.url, sink.token, sink.secret]) if (value) secrets.add(value)
    if (sink.url) {
      try {
        const url = new URL(sink.url)
        const tail = `${url.pathname}${url.search}`
        if (tail.length > 8) secrets.add(tail)
        if (url.password) secrets.add(url.password)
      } catch {
        // Not a URL: the whole value is already listed.
      }
    }
  }
  return [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
}

export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  if (secrets.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const secret of secrets) out = out.split(secret).join(REDACTED)
    return out
  }
}
