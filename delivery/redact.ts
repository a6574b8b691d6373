/**
 * Keeping sink secrets (webhook URLs, tokens, HMAC secrets) out of logs and errors:
 * `secretScrubber` is the last line of defence for free text (error messages from libraries and
 * receivers) before it is logged or stored.
 */
import type { SinkConfig } from '../core/config/schema.js'

const REDACTED = '[redacted]'

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
