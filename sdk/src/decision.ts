/**
 * The decision request on the wire: one OpenID AuthZEN Access Evaluation (`POST
 * <endpoint>/access/v1/evaluation`) and its answer, read defensively: an answer without a boolean
 * `decision` is a failure, never an allow. Uses the global `fetch` (Node 20) so the SDK adds no
 * dependency; what to do when privpath cannot decide is the caller's (guard.ts).
 */

/** Where and how to ask privpath; set once with `configure({ decisions })` and per call. */
export interface DecisionOptions {
  /** privpath's base URL, e.g. `http://localhost:4318`; `/access/v1/evaluation` is appended. Set by setupPrivpath. */
  endpoint?: string
  /** The tenant's API key, sent as `Authorization: Bearer <apiKey>`. Set by setupPrivpath. */
  apiKey?: string
  /** How long to wait for a decision, including the export of the spans it depends on. Default 500. */
  timeoutMs?: number
  /**
   * What to do when privpath cannot decide (timeout, unreachable, 5xx, 401, unreadable answer):
   * `'deny'` (default, fail closed) or `'allow'` (fail open: the call runs and the failure is
   * recorded on the current span). A 400 always denies: the request itself is wrong.
   */
  onError?: 'deny' | 'allow'
  /** The `fetch` to use; the global one when absent. */
  fetch?: typeof fetch
}

/** One reason privpath gave (a rule that matched, a policy that decided), or why it could not decide. */
export interface DecisionReason {
  kind: 'rule' | 'policy' | 'failure'
  id: string
  /** The rule's summary, the policy's reason, or what failed. */
  reason: string
  /** Rules only. */
  severity?: string
  /** Rules only: what the rule does to a call it fires on (deny, or allow with a warning). */
  enforce?: 'deny' | 'warn'
  /** Rules and policies: shadow ones decide and are recorded, but never deny. */
  mode?: 'enforce' | 'shadow'
}

export interface DecisionFailure {
  kind: 'timeout' | 'unreachable' | 'unauthorized' | 'bad_request' | 'server_error' | 'bad_response'
  message: string
  /** The HTTP status when privpath answered. */
  status?: number
}

/** An allowed call: privpath said yes, or could not decide and `onError: 'allow'` let it through. */
export interface PrivpathDecision {
  /** privpath's decision id; absent when privpath did not decide (`failure` says why). */
  id?: string
  mode?: 'enforce' | 'shadow'
  /** In shadow mode, what would have denied the call. */
  reasons: DecisionReason[]
  /** A sentence fit to show the end user (`reason_user.en`). */
  userMessage?: string
  /** privpath decided without having caught up with the task (the span it waited for had not arrived). */
  stale: boolean
  failure?: DecisionFailure
}

/** What privpath answered: a decision (either way) or why there is none. */
export type Answer = { allowed: boolean; decision: PrivpathDecision } | { failure: DecisionFailure }

export const DEFAULT_TIMEOUT_MS = 500

export function evaluationUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '')
  return base.endsWith('/access/v1/evaluation') ? base : `${base}/access/v1/evaluation`
}

export async function requestDecision(
  url: string,
  body: unknown,
  options: { apiKey?: string; fetch: typeof fetch; signal: AbortSignal; timeoutMs: number },
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`
  let status: number
  let text: string
  try {
    const response = await options.fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: options.signal })
    status = response.status
    text = await response.text()
  } catch (error) {
    if (options.signal.aborted) return timedOut(options.timeoutMs)
    const cause = (error as { cause?: unknown }).cause
    const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error)
    return { failure: { kind: 'unreachable', message: `privpath at ${url} is unreachable: ${detail}` } }
  }
  const json = parseJson(text)
  if (status === 200) return readDecision(json)
  const message = errorMessage(json) ?? text.slice(0, 200)
  if (status === 400) {
    return { failure: { kind: 'bad_request', status, message: `privpath rejected the request (400): ${message}` } }
  }
  if (status === 401 || status === 403) {
    return { failure: { kind: 'unauthorized', status, message: `privpath refused the API key (${status}): ${message}` } }
  }
  return { failure: { kind: 'server_error', status, message: `privpath answered ${status}: ${message}` } }
}

export function timedOut(timeoutMs: number): { failure: DecisionFailure } {
  return { failure: { kind: 'timeout', message: `privpath did not decide within ${timeoutMs} ms` } }
}

function readDecision(json: unknown): Answer {
  const body = record(json)
  if (typeof body?.decision !== 'boolean') {
    return { failure: { kind: 'bad_response', status: 200, message: 'privpath answered 200 without a boolean decision' } }
  }
  const context = record(body.context) ?? {}
  const admin = record(context.reason_admin) ?? {}
  const reasons: DecisionReason[] = []
  for (const rule of list(admin.rules)) {
    const reason: DecisionReason = { kind: 'rule', id: String(rule.id ?? ''), reason: String(rule.summary ?? '') }
    if (typeof rule.severity === 'string') reason.severity = rule.severity
    if (rule.enforce === 'deny' || rule.enforce === 'warn') reason.enforce = rule.enforce
    if (rule.mode === 'enforce' || rule.mode === 'shadow') reason.mode = rule.mode
    reasons.push(reason)
  }
  for (const policy of list(admin.policies)) {
    const reason: DecisionReason = { kind: 'policy', id: String(policy.id ?? ''), reason: String(policy.reason ?? '') }
    if (policy.mode === 'enforce' || policy.mode === 'shadow') reason.mode = policy.mode
    reasons.push(reason)
  }
  const decision: PrivpathDecision = { reasons, stale: admin.stale === true }
  if (typeof context.id === 'string') decision.id = context.id
  if (context.mode === 'enforce' || context.mode === 'shadow') decision.mode = context.mode
  const user = record(context.reason_user)?.en
  if (typeof user === 'string') decision.userMessage = user
  return { allowed: body.decision, decision }
}

/**
 * The evaluation endpoint's `{ error: { code, message } }`, or the `{ code, message }` of
 * privpath's other routes (an error raised before the route, e.g. by authentication). The code is
 * kept because it names the kind.
 */
function errorMessage(json: unknown): string | undefined {
  const body = record(json)
  const error = record(body?.error) ?? body
  if (typeof error?.message !== 'string') return undefined
  return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

function list(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) return []
  return value.flatMap((item) => {
    const entry = record(item)
    return entry === undefined ? [] : [entry]
  })
}
