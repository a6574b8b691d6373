/**
 * What an OPA decision decided: allow, deny, or nothing privpath can read. OPA returns whatever
 * the policy rule evaluates to; a boolean rule (`allow`) and an object with a boolean `allow` are
 * read as they are, and `collector.opa_result_expression` reads any other shape.
 */
import { type Expression, NeedsInterpreter, parseExpression } from '../../core/expression/index.js'

export type Verdict = '' | 'allow' | 'deny'

/** Budget of the expression on the JSONata interpreter, per decision. */
const EXPRESSION_TIMEOUT_MS = 100

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A boolean `result`, else a boolean `result.allow`; anything else (an undefined decision included) is no verdict. */
export function defaultVerdict(result: unknown): Verdict {
  const allow = isObject(result) ? result.allow : result
  return allow === true ? 'allow' : allow === false ? 'deny' : ''
}

function verdictOf(value: unknown): Verdict {
  if (value === true || value === 'allow') return 'allow'
  if (value === false || value === 'deny') return 'deny'
  return ''
}

/** Reads the verdict of a decision event as OPA sent it; rejects when the expression fails. */
export type VerdictReader = (event: Record<string, unknown>) => Verdict | Promise<Verdict>

export function verdictReader(expression: string): VerdictReader {
  if (expression.trim() === '') return (event) => defaultVerdict(event.result)
  const compiled: Expression = parseExpression(expression, { timeoutMs: EXPRESSION_TIMEOUT_MS })
  return (event) => {
    if (compiled.sync) {
      try {
        return verdictOf(compiled.sync(event, {}))
      } catch (error) {
        if (!(error instanceof NeedsInterpreter)) throw error
      }
    }
    return compiled.interpret(event, {}).then(verdictOf)
  }
}
