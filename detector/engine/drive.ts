/**
 * Runs rule logic written once as a generator that yields the expressions it needs: compiled
 * expressions are answered synchronously, interpreted ones make the run async. So rules inside
 * the compiled subset cost no promise, and the rest still work.
 */
import type { Variables } from '../jsonata/compile.js'
import type { Expression } from '../jsonata/expression.js'

export interface Need {
  expr: Expression
  input: unknown
  vars: Variables
}

export type RuleRun<R> = Generator<Need, R, unknown>
export type Maybe<T> = T | Promise<T>

export function need(expr: Expression, input: unknown, vars: Variables): Need {
  return { expr, input, vars }
}

export function drive<R>(run: RuleRun<R>): Maybe<R> {
  let step = run.next()
  while (!step.done) {
    const { expr, input, vars } = step.value
    if (!expr.sync) return finishAsync(run, expr.interpret(input, vars))
    step = run.next(expr.sync(input, vars))
  }
  return step.value
}

async function finishAsync<R>(run: RuleRun<R>, pending: Promise<unknown>): Promise<R> {
  let step = run.next(await pending)
  while (!step.done) {
    const { expr, input, vars } = step.value
    step = run.next(expr.sync ? expr.sync(input, vars) : await expr.interpret(input, vars))
  }
  return step.value
}

export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === 'function'
}
