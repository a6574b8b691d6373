/**
 * The one place sinks speak HTTP: a POST through a per-sink undici Agent (bounded connections,
 * header and body timeouts) and the mapping from HTTP answers to outcomes every sink shares:
 * 2xx delivered; 408/429/5xx and network errors retried (429/503 honour `Retry-After`);
 * any other 4xx permanent. Error texts name the sink's receiver by status only, never its URL.
 */
import { Agent, request } from 'undici'
import type { SendOutcome } from './sink.js'

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface HttpClient {
  post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpAnswer>
  close(): Promise<void>
}

const MAX_ERROR_BODY = 200

export function createHttpClient(options: { timeoutMs: number; connections: number }): HttpClient {
  const agent = new Agent({
    connections: options.connections,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
  })
  return {
    async post(url, headers, body, signal) {
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        dispatcher: agent,
      })
      const text = await response.body.text()
      return { status: response.statusCode, headers: response.headers, body: text }
    },
    close: () => agent.close(),
  }
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined || raw.trim() === '') return undefined
  const trimmed = raw.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

/** `now` is the instant an HTTP-date `Retry-After` is measured from (the sink's clock). */
export function classifyAnswer(answer: HttpAnswer, receiver: string, now = Date.now()): SendOutcome {
  const { status } = answer
  if (status >= 200 && status < 300) return { status: 'delivered', detail: `HTTP ${status}` }
  const excerpt = answer.body.slice(0, MAX_ERROR_BODY).replace(/\s+/g, ' ').trim()
  const error = `${receiver} answered HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], now)
    return retryAfterMs === undefined ? { status: 'retry', error } : { status: 'retry', error, retryAfterMs }
  }
  if (status === 408 || status >= 500) return { status: 'retry', error }
  return { status: 'permanent', error }
}

/** Network failures and timeouts are worth retrying; the message is undici's, which carries no URL. */
export function networkFailure(receiver: string, error: unknown): SendOutcome {
  const err = error as { name?: string; code?: string; message?: string }
  const reason = err.code ?? err.name ?? 'error'
  return { status: 'retry', error: `${receiver} unreachable (${reason}: ${err.message ?? String(error)})` }
}
