/**
 * The recording API, as an instance bound to one tracer provider (`createPrivpath`) and as free
 * functions over a default instance that records through the globally registered provider.
 */
import type { Span } from '@opentelemetry/api'
import * as events from './events.js'
import type { Approval, AuthzDecision, CredentialIssue } from './events.js'
import type { DecisionOptions, PrivpathDecision } from './decision.js'
import * as guards from './guard.js'
import type { GuardRequest } from './guard.js'
import { createRuntime, type PrivpathOptions } from './runtime.js'
import * as steps from './steps.js'
import type { PromptMessage, PromptOptions } from './steps.js'
import * as task from './task.js'
import type { DelegateOptions, TaskHandle, TaskOptions } from './task.js'
import * as tool from './tool.js'
import type { ToolCallOptions } from './tool.js'

export interface Privpath {
  /** Run `fn` as a task: a root `invoke_agent` span plus task baggage. Returns what `fn` returns. */
  startTask<T>(options: TaskOptions, fn: (task: TaskHandle) => T): T
  /** Record a prompt sent to a model (a `chat` span). */
  recordPrompt(messages: string | PromptMessage[], options?: PromptOptions): void
  /** Record a reasoning step; the text is kept only with content capture on. */
  reasoningStep(text?: string): void
  /**
   * Run `fn` as the tool call `name` (an `execute_tool <name>` span). Returns what `fn` returns;
   * with `check: true`, asks privpath first and returns a promise (rejected with
   * PrivpathDeniedError, `fn` not run, when denied).
   */
  toolCall<T>(name: string, options: ToolCallOptions & { check: true }, fn: (span: Span) => T): Promise<Awaited<T>>
  toolCall<T>(name: string, options: ToolCallOptions & { check?: false }, fn: (span: Span) => T): T
  toolCall<T>(name: string, options: ToolCallOptions, fn: (span: Span) => T): T | Promise<Awaited<T>>
  /** Ask privpath whether a tool call may run; rejects with PrivpathDeniedError when it may not. */
  guard(request: GuardRequest, options?: DecisionOptions): Promise<PrivpathDecision>
  credentialIssued(credential: CredentialIssue): void
  /** A credential presented outside a tool call; tool calls record use with `credentialId`. */
  credentialUsed(id: string, target?: { tenant?: string; resource?: string }): void
  credentialRevoked(id: string): void
  authzDecision(decision: AuthzDecision): void
  approval(approval: Approval): void
  /** Run `fn` as work delegated to another agent (a child `invoke_agent` span). */
  delegate<T>(options: DelegateOptions, fn: (span: Span) => T): T
  /** Change content capture, the tracer provider or the decision options of this instance. */
  configure(options: PrivpathOptions): void
}

export function createPrivpath(options: PrivpathOptions = {}): Privpath {
  const runtime = createRuntime(options)
  return {
    startTask: (taskOptions, fn) => task.startTask(runtime, taskOptions, fn),
    recordPrompt: (messages, promptOptions) => steps.recordPrompt(runtime, messages, promptOptions),
    reasoningStep: (text) => steps.reasoningStep(runtime, text),
    // One implementation behind the overloads: its return type is their union.
    toolCall: ((name: string, toolOptions: ToolCallOptions, fn: (span: Span) => unknown) =>
      tool.toolCall(runtime, name, toolOptions, fn)) as Privpath['toolCall'],
    guard: (request, decisionOptions) => guards.guard(runtime, request, decisionOptions),
    credentialIssued: (credential) => events.credentialIssued(runtime, credential),
    credentialUsed: (id, target) => events.credentialUsed(runtime, id, target),
    credentialRevoked: (id) => events.credentialRevoked(runtime, id),
    authzDecision: (decision) => events.authzDecision(runtime, decision),
    approval: (request) => events.approval(runtime, request),
    delegate: (delegateOptions, fn) => task.delegate(runtime, delegateOptions, fn),
    configure: (next) => runtime.update(next),
  }
}

const defaultInstance = createPrivpath()

export const startTask: Privpath['startTask'] = defaultInstance.startTask
export const recordPrompt: Privpath['recordPrompt'] = defaultInstance.recordPrompt
export const reasoningStep: Privpath['reasoningStep'] = defaultInstance.reasoningStep
export const toolCall: Privpath['toolCall'] = defaultInstance.toolCall
export const guard: Privpath['guard'] = defaultInstance.guard
export const credentialIssued: Privpath['credentialIssued'] = defaultInstance.credentialIssued
export const credentialUsed: Privpath['credentialUsed'] = defaultInstance.credentialUsed
export const credentialRevoked: Privpath['credentialRevoked'] = defaultInstance.credentialRevoked
export const authzDecision: Privpath['authzDecision'] = defaultInstance.authzDecision
export const approval: Privpath['approval'] = defaultInstance.approval
export const delegate: Privpath['delegate'] = defaultInstance.delegate
export const configure: Privpath['configure'] = defaultInstance.configure
