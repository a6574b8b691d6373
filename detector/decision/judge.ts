/**
 * The rules' verdict on a proposed call: each enforcing rule on the kinds the call becomes is
 * evaluated, with its exceptions, against the context the detector would judge the executed call
 * in — and nothing is recorded (no dedup window, no exception hit, no alert). A rule that fails to
 * evaluate neither denies nor allows: it is reported, and the detector's own error metrics count
 * the same failure on the executed call.
 */
import { boolize } from '../../core/expression/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import type { RuleContext } from '../engine/context.js'
import { NO_VARS } from '../engine/correlation.js'
import { drive, isPromise, need, type Maybe, type RuleRun } from '../engine/drive.js'
import type { DecisionMode, Rule } from '../rules/types.js'

export interface RuleFinding {
  id: string
  title: string
  severity: string
  summary: string
  enforce: 'deny' | 'warn'
  mode: DecisionMode
}

export interface Judged {
  findings: RuleFinding[]
  /** Rules that failed on this call (id: message). */
  errors: string[]
}

export interface JudgeSource {
  proposed(event: PrivpathEvent): RuleContext
  rulesOn(kind: PrivpathEvent['kind']): readonly Rule[]
}

function* finding(rule: Rule, ctx: RuleContext): RuleRun<string | undefined> {
  if (rule.when && !boolize(yield need(rule.when, ctx, NO_VARS))) return undefined
  for (const exception of rule.exceptions) {
    if (exception.expires !== null && ctx.event.ts >= exception.expires) continue
    if (boolize(yield need(exception.when, ctx, NO_VARS))) return undefined
  }
  const summary: unknown = yield need(rule.summary, ctx, NO_VARS)
  return typeof summary === 'string' ? summary : JSON.stringify(summary)
}

/** Synchronous while every rule it runs is compiled (the endpoint's latency), a Promise otherwise. */
export function judge(source: JudgeSource, events: readonly PrivpathEvent[], mode: DecisionMode): Maybe<Judged> {
  const findings: RuleFinding[] = []
  const errors: string[] = []
  const pending: Array<Promise<void>> = []
  for (const event of events) {
    const ctx = source.proposed(event)
    for (const rule of source.rulesOn(event.kind)) {
      if (rule.enforce === 'off') continue
      const add = (summary: string | undefined) => {
        if (summary === undefined || findings.some((f) => f.id === rule.id)) return
        findings.push({ id: rule.id, title: rule.title, severity: rule.severity, summary, enforce: rule.enforce as 'deny' | 'warn', mode: rule.enforceMode ?? mode })
      }
      const failed = (error: unknown): void => {
        errors.push(`${rule.id}: ${(error as Error)?.message ?? String(error)}`)
      }
      try {
        const out = drive(finding(rule, ctx))
        if (isPromise(out)) pending.push(out.then(add, failed))
        else add(out)
      } catch (error) {
        failed(error)
      }
    }
  }
  if (pending.length === 0) return { findings, errors }
  return Promise.all(pending).then(() => ({ findings, errors }))
}
