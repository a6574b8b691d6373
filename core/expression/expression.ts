/**
 * One rule expression, compiled once: synchronous JavaScript when it stays inside the compiled
 * subset, the jsonata interpreter (async, with the rule time budget as its timeout) otherwise.
 */
import jsonata from 'jsonata'
import { compileAst, type CompiledFn, type Variables } from './compile.js'
import { CUSTOM_FUNCTIONS } from './functions.js'

export interface Expression {
  readonly source: string
  /** Present when the expression compiled to JavaScript. */
  readonly sync: CompiledFn | undefined
  /** The interpreter, always available (reference semantics, and the fallback). */
  interpret(input: unknown, vars: Variables): Promise<unknown>
}

export interface ExpressionCompileError {
  message: string
  /** Character offset inside the expression source (0-based), when jsonata reports one. */
  position: number | undefined
}

export function parseExpression(source: string, options: { timeoutMs?: number; compile?: boolean } = {}): Expression {
  const expr = jsonata(source, options.timeoutMs ? { timeout: options.timeoutMs } : undefined)
  for (const [name, fn] of Object.entries(CUSTOM_FUNCTIONS)) expr.registerFunction(name, fn)
  const sync = options.compile === false ? undefined : compileAst(expr.ast())
  return {
    source,
    sync,
    interpret: (input, vars) => expr.evaluate(input, vars) as Promise<unknown>,
  }
}

/** Returns the jsonata syntax error of `source`, or undefined when it parses. */
export function expressionError(source: string): ExpressionCompileError | undefined {
  try {
    jsonata(source)
    return undefined
  } catch (error) {
    const e = error as { message?: string; position?: number }
    return { message: e.message ?? String(error), position: typeof e.position === 'number' ? e.position : undefined }
  }
}
