/**
 * Asking privpath before a tool runs. The request names the agent, the tool with where it
 * reaches, and the task's place in the trace; privpath answers allow or deny from the task's
 * privilege path so far. A denial is an exception (PrivpathDeniedError) so code that forgets to
 * look at the answer still does not run the tool. When privpath cannot decide, `onError` chooses
 * between failing closed (default) and open. What privpath said, or why it could not say, is
 * recorded on the current step's span.
 */
import { context, isSpanContextValid, trace, type Context, type Span } from '@opentelemetry/api'
import { ATTR_DECISION_ERROR, ATTR_DECISION_ID, ATTR_DECISION_REASONS } from './attributes.js'
import { serialise } from './content.js'
import {
  DEFAULT_TIMEOUT_MS,
  evaluationUrl,
  requestDecision,
  timedOut,
  type Answer,
  type DecisionFailure,
  type DecisionOptions,
  type DecisionReason,
  type PrivpathDecision,
} from './decision.js'
import { relevantSpansExported } from './export-on-end.js'
import { lastRelevantSpanId } from './relevant.js'
import type { Runtime } from './runtime.js'
import { scopeOf } from './scope.js'
import { isLongLived } from './spans.js'
import { requireText } from './validate.js'

export interface GuardRequest {
  /** The tool about to run: the request's action name and resource id. */
  tool: string
  /**
   * The call's arguments: an object or a string (anything else is sent as JSON text). Sent to
   * privpath whether or not content capture is on, because a decision may depend on them.
   */
  arguments?: unknown
  /** Where the call reaches: the tenant owning the resource and the resource itself. */
  target?: { tenant?: string; resource?: string }
  /** The id of the credential the call would present. */
  credentialId?: string
  /** The agent about to call the tool; the current task's agent when absent. */
  agent?: { id: string; name?: string; workloadId?: string }
  /** The current task's id when absent. */
  taskId?: string
  /** The active span's trace id when absent. */
  traceId?: string
  /**
   * The span privpath must have processed before deciding; when absent, the last span of the
   * current task that a decision may depend on (a model call, tool call, credential, authz,
   * approval or delegation span) to have ended, as noted by the TaskAttributesSpanProcessor.
   */
  afterSpanId?: string
}

/** A tool call privpath denied, or could not decide about with `onError: 'deny'`. */
export class PrivpathDeniedError extends Error {
  override readonly name = 'PrivpathDeniedError'
  /** Absent when privpath did not decide (`failure` says why). */
  readonly decisionId: string | undefined
  /** The rules and policies that denied, or the one failure that did. */
  readonly reasons: DecisionReason[]
  readonly toolName: string
  /** A sentence fit to show the end user, when privpath gave one. */
  readonly userMessage: string | undefined
  readonly failure: DecisionFailure | undefined

  constructor(toolName: string, reasons: DecisionReason[], extra: { decisionId?: string; userMessage?: string; failure?: DecisionFailure } = {}) {
    const decided = extra.decisionId === undefined ? '' : ` (decision ${extra.decisionId})`
    const why = reasons.length === 0 ? 'no reason given' : reasons.map(describe).join('; ')
    super(`@privpath/sdk: privpath denied tool ${toolName}${decided}: ${why}`)
    this.decisionId = extra.decisionId
    this.reasons = reasons
    this.toolName = toolName
    this.userMessage = extra.userMessage
    this.failure = extra.failure
  }
}

interface Settings {
  url: string
  apiKey: string | undefined
  timeoutMs: number
  onError: 'deny' | 'allow'
  fetch: typeof fetch
}

/**
 * Ask whether the tool call may run. Resolves to the decision when it may; rejects with
 * PrivpathDeniedError when it may not. Caller mistakes (no endpoint, no agent) throw here.
 */
export function guard(runtime: Runtime, request: GuardRequest, options: DecisionOptions = {}): Promise<PrivpathDecision> {
  return prepareGuard(runtime, request, options)(recordingStep(context.active()))
}

/**
 * Validates and builds the request now, so caller mistakes throw at the call site and the
 * request describes the moment of the call; asks when the returned function is called, recording
 * the outcome on `step` (toolCall passes the tool span it opens in between).
 */
export function prepareGuard(
  runtime: Runtime,
  request: GuardRequest,
  options: DecisionOptions = {},
): (step: Span | undefined) => Promise<PrivpathDecision> {
  const settings = settingsOf(runtime.decisions(), options)
  const body = evaluation(request, context.active())
  return (step) => ask(body, settings).then((answer) => settle(answer, request.tool, settings.onError, step))
}

async function ask(body: unknown, settings: Settings): Promise<Answer> {
  const signal = AbortSignal.timeout(settings.timeoutMs)
  // The span the request names should be at privpath before it is asked to wait for it.
  const exported = await Promise.race([relevantSpansExported().then(() => true), aborted(signal).then(() => false)])
  if (!exported) return timedOut(settings.timeoutMs)
  return requestDecision(settings.url, body, { ...settings, signal })
}

function settle(answer: Answer, tool: string, onError: 'deny' | 'allow', step: Span | undefined): PrivpathDecision {
  if ('failure' in answer) {
    const { failure } = answer
    step?.setAttribute(ATTR_DECISION_ERROR, failure.message)
    // A request privpath cannot read is a bug in the call: letting it through would silently
    // skip the check for every call of its kind, so it denies even when failing open.
    if (onError === 'allow' && failure.kind !== 'bad_request') return { reasons: [], stale: false, failure }
    throw new PrivpathDeniedError(tool, [{ kind: 'failure', id: failure.kind, reason: failure.message }], { failure })
  }
  const { decision } = answer
  if (decision.id !== undefined) step?.setAttribute(ATTR_DECISION_ID, decision.id)
  if (decision.reasons.length > 0) step?.setAttribute(ATTR_DECISION_REASONS, decision.reasons.map(describe))
  if (answer.allowed) return decision
  throw new PrivpathDeniedError(tool, decision.reasons, { decisionId: decision.id, userMessage: decision.userMessage })
}

/** The AuthZEN Access Evaluation request; empty fields are left out. */
function evaluation(request: GuardRequest, active: Context) {
  requireText('tool', request.tool)
  const scope = scopeOf(active)
  const agent = request.agent ?? { id: scope?.agentId ?? '', name: scope?.agentName, workloadId: scope?.workloadId }
  if (typeof agent.id !== 'string' || agent.id === '') {
    throw new TypeError('@privpath/sdk: a decision needs the agent: ask inside startTask or pass agent.id')
  }
  const taskId = request.taskId ?? scope?.taskId ?? ''
  const spanContext = trace.getSpanContext(active)
  const activeTrace = spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined
  const afterSpanId = request.afterSpanId ?? (taskId === '' ? undefined : lastRelevantSpanId(scope?.tenantId ?? '', taskId))
  return {
    subject: { type: 'agent', id: agent.id, properties: compact({ name: agent.name, workload_id: agent.workloadId }) },
    action: { name: request.tool },
    resource: {
      type: 'tool',
      id: request.tool,
      properties: compact({
        arguments: argumentsOf(request.arguments),
        target_resource: request.target?.resource,
        target_tenant: request.target?.tenant,
        credential_id: request.credentialId,
      }),
    },
    context: compact({ task_id: taskId, trace_id: request.traceId ?? activeTrace, after_span_id: afterSpanId }),
  }
}

function settingsOf(configured: DecisionOptions, call: DecisionOptions): Settings {
  const options: DecisionOptions = { ...configured }
  // Per call, an absent value means "as configured", not "unset".
  for (const [key, value] of Object.entries(call)) if (value !== undefined) Object.assign(options, { [key]: value })
  if (typeof options.endpoint !== 'string' || options.endpoint === '') {
    throw new TypeError("@privpath/sdk: decisions.endpoint must be privpath's base URL (setupPrivpath sets it, or configure({ decisions: { endpoint } }))")
  }
  const url = evaluationUrl(options.endpoint)
  if (!URL.canParse(url)) throw new TypeError(`@privpath/sdk: decisions.endpoint is not a URL: ${options.endpoint}`)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  // AbortSignal.timeout takes whole milliseconds, and timers treat more than 2^31-1 as 1.
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) {
    throw new TypeError(`@privpath/sdk: decisions.timeoutMs must be a whole number of milliseconds from 1, got ${String(timeoutMs)}`)
  }
  const onError = options.onError ?? 'deny'
  if (onError !== 'deny' && onError !== 'allow') {
    throw new TypeError(`@privpath/sdk: decisions.onError must be 'deny' or 'allow', got ${String(onError)}`)
  }
  return { url, apiKey: options.apiKey, timeoutMs, onError, fetch: options.fetch ?? globalThis.fetch }
}

/** The span of the step being decided (a tool call, the caller's own span); never a task or delegation span. */
function recordingStep(active: Context): Span | undefined {
  const span = trace.getSpan(active)
  return span !== undefined && span.isRecording() && !isLongLived(span) ? span : undefined
}

function argumentsOf(value: unknown): unknown {
  if (value === undefined || typeof value === 'string') return value
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value)
  if (!isObject) return serialise(value)
  try {
    JSON.stringify(value)
    return value
  } catch {
    // Cycles or BigInt: send what can be said instead of failing the request.
    return serialise(value)
  }
}

function compact(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ''))
}

function describe(reason: DecisionReason): string {
  return `${reason.kind} ${reason.id}: ${reason.reason}`
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
