/**
 * Block Kit for one alert version or one digest. Text fields are escaped for Slack mrkdwn
 * (`&`, `<`, `>`), so agent-controlled strings cannot forge links or mentions.
 */
import type { Alert } from '../../core/alert.js'
import type { Digest } from '../sink.js'
import { taskLink } from '../webhook/payload.js'

export interface SlackMessage {
  text: string
  blocks: Array<Record<string, unknown>>
}

const SEVERITY_MARK: Record<Alert['severity'], string> = {
  info: 'INFO',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  critical: 'CRITICAL',
}

const MAX_TEXT = 2900
const HEADER_MAX = 150

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** 0 → "0s", 95_000 → "1m 35s", 7_260_000 → "2h 1m", 90_000_000 → "1d 1h". */
export function humaniseDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = s
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0) parts.push(`${n}${unit}`)
    if (parts.length === 2) break
  }
  return parts.length === 0 ? '0s' : parts.join(' ')
}

function repeatLine(alert: Alert): string | undefined {
  if (alert.count <= 1) return undefined
  return `seen ${alert.count} times in ${humaniseDuration(alert.last_seen - alert.first_seen)}`
}

const field = (label: string, value: string) => ({
  type: 'mrkdwn',
  text: clip(`*${label}*\n${escapeMrkdwn(value || '—')}`, 1900),
})

export function alertMessage(alert: Alert, publicUrl: string, options: { test?: boolean } = {}): SlackMessage {
  const title = `${options.test ? '[TEST] ' : ''}${SEVERITY_MARK[alert.severity]}: ${alert.rule_title}`
  const link = taskLink(publicUrl, alert)
  const repeat = repeatLine(alert)
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX), emoji: false } },
    {
      type: 'section',
      fields: [
        field('Tenant', alert.tenant_id),
        field('Task', alert.task_id),
        field('Agent', alert.agent_id),
        field('Severity', alert.severity),
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Summary*\n${escapeMrkdwn(alert.summary)}`, MAX_TEXT) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Privilege path*\n\`${escapeMrkdwn(alert.path.replaceAll('`', "'"))}\``, MAX_TEXT) } },
  ]
  const context: string[] = []
  if (alert.frameworks.length > 0) context.push(`Frameworks: ${escapeMrkdwn(alert.frameworks.join(', '))}`)
  if (repeat) context.push(repeat)
  context.push(`Rule \`${escapeMrkdwn(alert.rule_id)}\` · alert \`${alert.alert_id}\``)
  blocks.push({ type: 'context', elements: context.map((text) => ({ type: 'mrkdwn', text: clip(text, MAX_TEXT) })) })
  if (link) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${link}|Open task ${escapeMrkdwn(alert.task_id)} in the console>` } })
  }
  const text = clip(`${title} — ${alert.tenant_id}/${alert.task_id}: ${alert.summary}${repeat ? ` (${repeat})` : ''}`, MAX_TEXT)
  return { text: escapeMrkdwn(text), blocks }
}

/** Short reply posted in the incident's thread when the same dedup key repeats. */
export function repeatReply(alert: Alert, publicUrl: string): SlackMessage {
  const message = alertMessage(alert, publicUrl)
  const line = repeatLine(alert) ?? 'seen again'
  return { ...message, text: escapeMrkdwn(`${alert.rule_title}: ${line} — ${alert.summary}`) }
}

const MAX_DIGEST_LINES = 20

export function digestMessage(digest: Digest, publicUrl: string): SlackMessage {
  const tenant = digest.tenant_id ? ` for tenant ${digest.tenant_id}` : ''
  const title = `Digest: ${digest.total} alert${digest.total === 1 ? '' : 's'} held by route ${digest.route}${tenant}`
  const lines = digest.items.slice(0, MAX_DIGEST_LINES).map((item) => {
    const link = taskLink(publicUrl, item)
    const task = link ? `<${link}|${escapeMrkdwn(item.task_id)}>` : escapeMrkdwn(item.task_id)
    return `• *${SEVERITY_MARK[item.severity]}* ${escapeMrkdwn(item.rule_title)} — ${escapeMrkdwn(item.tenant_id)} / ${task} ×${item.count}`
  })
  const omitted = digest.items.length - lines.length + digest.omitted
  if (omitted > 0) lines.push(`…and ${omitted} more in the console`)
  const window = `${new Date(digest.window_start).toISOString()} – ${new Date(digest.window_end).toISOString()}`
  return {
    text: escapeMrkdwn(title),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), MAX_TEXT) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Rate limit window ${window}` }] },
    ],
  }
}
