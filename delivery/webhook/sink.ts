/**
 * Generic JSON webhook: POSTs the documented payload with `Idempotency-Key` and, when a secret
 * is configured, an `X-Privpath-Signature` HMAC over `<timestamp>.<body>`.
 */
import type { SinkConfig } from '../../core/config/schema.js'
import { classifyAnswer, createHttpClient, type HttpClient, networkFailure } from '../http.js'
import type { Notification, SendContext, SendOutcome, Sink } from '../sink.js'
import { SIGNATURE_HEADER, signBody, webhookPayload } from './payload.js'

export class WebhookSink implements Sink {
  readonly type = 'webhook'
  readonly name: string
  private readonly http: HttpClient
  private readonly now: () => number

  constructor(
    private readonly config: SinkConfig,
    options: { http?: HttpClient; now?: () => number } = {},
  ) {
    this.name = config.name
    this.http = options.http ?? createHttpClient({ timeoutMs: config.timeout_ms, connections: config.concurrency })
    this.now = options.now ?? Date.now
  }

  async send(notification: Notification, context: SendContext): Promise<SendOutcome> {
    const body = JSON.stringify(webhookPayload(notification, context.publicUrl))
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': context.idempotencyKey,
      'user-agent': 'privpath-delivery/1',
      'x-privpath-attempt': String(context.attempt),
    }
    if (this.config.secret) {
      headers[SIGNATURE_HEADER.toLowerCase()] = signBody(this.config.secret, body, Math.floor(this.now() / 1000))
    }
    const receiver = `webhook sink "${this.name}"`
    try {
      return classifyAnswer(await this.http.post(this.config.url, headers, body, context.signal), receiver, this.now())
    } catch (error) {
      return networkFailure(receiver, error)
    }
  }

  close(): Promise<void> {
    return this.http.close()
  }
}
