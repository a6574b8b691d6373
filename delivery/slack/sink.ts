/**
 * Slack: an incoming-webhook URL (no threads: Slack returns no message id), or a bot token +
 * channel through `chat.postMessage`, where repeats of an incident are replied in the thread of
 * its first message. The token travels only in the Authorization header.
 */
import type { Alert } from '../../core/alert.js'
import type { SinkConfig } from '../../core/config/schema.js'
import { classifyAnswer, createHttpClient, type HttpClient, networkFailure, parseRetryAfter } from '../http.js'
import type { Notification, SendContext, SendOutcome, Sink } from '../sink.js'
import { alertMessage, digestMessage, repeatReply, type SlackMessage } from './message.js'
import { MemoryThreadStore, type ThreadStore } from './threads.js'

/** Slack `error` codes that no retry can fix. */
const PERMANENT_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_arguments',
  'invalid_arg_name',
  'msg_too_long',
  'no_text',
  'restricted_action',
  'team_access_not_granted',
  'ekm_access_denied',
  'thread_not_found',
])

/**
 * An incident is a rule and dedup key within one tenant: two tenants never share a thread. Tenant
 * '' keeps the key it always had; the others are JSON, which no kebab-case rule id starts like.
 */
function threadKey(alert: Pick<Alert, 'tenant_id' | 'rule_id' | 'dedup_key'>): string {
  if (alert.tenant_id === '') return `${alert.rule_id}\u0000${alert.dedup_key}`
  return JSON.stringify([alert.tenant_id, alert.rule_id, alert.dedup_key])
}

export class SlackSink implements Sink {
  readonly type = 'slack'
  readonly name: string
  private readonly http: HttpClient
  private readonly threads: ThreadStore
  private readonly receiver: string

  constructor(
    private readonly config: SinkConfig,
    options: { http?: HttpClient; threads?: ThreadStore } = {},
  ) {
    this.name = config.name
    this.receiver = `slack sink "${config.name}"`
    this.http = options.http ?? createHttpClient({ timeoutMs: config.timeout_ms, connections: config.concurrency })
    this.threads = options.threads ?? new MemoryThreadStore()
  }

  get mode(): 'bot' | 'webhook' {
    return this.config.token ? 'bot' : 'webhook'
  }

  async send(notification: Notification, context: SendContext): Promise<SendOutcome> {
    try {
      if (this.mode === 'webhook') return await this.postWebhook(this.render(notification, context, false), context)
      return await this.postBot(notification, context)
    } catch (error) {
      return networkFailure(this.receiver, error)
    }
  }

  close(): Promise<void> {
    this.threads.close()
    return this.http.close()
  }

  private render(notification: Notification, context: SendContext, inThread: boolean): SlackMessage {
    if (notification.kind === 'digest') return digestMessage(notification.digest, context.publicUrl)
    if (inThread) return repeatReply(notification.alert, context.publicUrl)
    return alertMessage(notification.alert, context.publicUrl, { test: notification.test })
  }

  private async postWebhook(message: SlackMessage, context: SendContext): Promise<SendOutcome> {
    const answer = await this.http.post(this.config.url, { 'content-type': 'application/json' }, JSON.stringify(message), context.signal)
    return classifyAnswer(answer, this.receiver)
  }

  private async postBot(notification: Notification, context: SendContext): Promise<SendOutcome> {
    const key = notification.kind === 'alert' && !notification.test ? threadKey(notification.alert) : undefined
    let threadTs = key === undefined ? undefined : this.threads.get(key)
    let outcome = await this.postMessage(this.render(notification, context, threadTs !== undefined), threadTs, context)
    if (threadTs !== undefined && outcome.status === 'permanent' && outcome.error.endsWith(' thread_not_found')) {
      // The thread's first message was deleted: start a new thread for the incident.
      threadTs = undefined
      outcome = await this.postMessage(this.render(notification, context, false), undefined, context)
    }
    if (outcome.status === 'delivered' && key !== undefined && threadTs === undefined && outcome.detail) {
      await this.threads.set(key, outcome.detail)
    }
    return outcome
  }

  /** On success, `detail` is the message `ts`. */
  private async postMessage(message: SlackMessage, threadTs: string | undefined, context: SendContext): Promise<SendOutcome> {
    const url = `${this.config.api_url.replace(/\/+$/, '')}/chat.postMessage`
    const body = JSON.stringify({ channel: this.config.channel, ...message, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false })
    const answer = await this.http.post(
      url,
      { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${this.config.token}` },
      body,
      context.signal,
    )
    if (answer.status !== 200) return classifyAnswer(answer, this.receiver)
    let reply: { ok?: boolean; ts?: string; error?: string }
    try {
      reply = JSON.parse(answer.body) as typeof reply
    } catch {
      return { status: 'retry', error: `${this.receiver} answered HTTP 200 with a body that is not JSON` }
    }
    if (reply.ok) return { status: 'delivered', detail: reply.ts ?? '' }
    const code = reply.error ?? 'unknown_error'
    const error = `${this.receiver}: chat.postMessage failed with ${code}`
    if (code === 'ratelimited') {
      const retryAfterMs = parseRetryAfter(answer.headers['retry-after'])
      return retryAfterMs === undefined ? { status: 'retry', error } : { status: 'retry', error, retryAfterMs }
    }
    return PERMANENT_ERRORS.has(code) ? { status: 'permanent', error } : { status: 'retry', error }
  }
}
