// Times (local and relative), severities and durations, the same way on every page.
import { h } from './dom.js'

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info']

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
const UNITS = [
  ['year', 365 * 24 * 3600e3],
  ['month', 30 * 24 * 3600e3],
  ['day', 24 * 3600e3],
  ['hour', 3600e3],
  ['minute', 60e3],
  ['second', 1e3],
]

function relativeTime(ms, now = Date.now()) {
  const delta = ms - now
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) >= size || unit === 'second') return relative.format(Math.round(delta / size), unit)
  }
  return ''
}

const local = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** <time>: local time, relative time beside it, UTC in the tooltip. */
export function timeCell(ms) {
  if (ms === null || ms === undefined) return h('span', { class: 'muted' }, '—')
  const date = new Date(ms)
  return h('time', { datetime: date.toISOString(), title: `${date.toISOString()} (UTC)` }, local.format(date), h('span', { class: 'rel' }, relativeTime(ms)))
}

export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60e3) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3600e3) return `${Math.round(ms / 60e3)} min`
  return `${(ms / 3600e3).toFixed(1)} h`
}

export function severityBadge(severity, count) {
  const text = count === undefined ? severity : `${count} ${severity}`
  return h('span', { class: `sev sev-${severity}`, title: `severity ${severity}` }, text)
}

/** Badges per severity, most severe first: [{severity: count}] → nodes. */
export function severityBadges(counts) {
  const present = SEVERITIES.filter((s) => counts[s] > 0)
  if (present.length === 0) return h('span', { class: 'muted' }, 'none')
  return h('span', { class: 'badges' }, present.map((s) => severityBadge(s, counts[s])))
}

export function kindLabel(kind) {
  return kind.replace(/_/g, ' ')
}
