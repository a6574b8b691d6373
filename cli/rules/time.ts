/** Time arguments of CLI commands: RFC3339, epoch milliseconds, `now`, or a duration ago (`24h`). */
import { parseDuration } from '../../core/duration.js'

export function parseTimeArg(name: string, text: string, now: number): number {
  const value = text.trim()
  if (value === 'now') return now
  if (/^\d{10,}$/.test(value)) return Number(value)
  const ago = parseDuration(value)
  if (ago !== undefined) return now - ago
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value)
    if (!Number.isNaN(ms)) return ms
  }
  throw new Error(`--${name} "${text}" is not a time: use RFC3339 (2026-11-24T10:00:00Z), epoch ms, "now" or a duration ago (24h, 30m)`)
}
