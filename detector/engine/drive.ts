/**
 * Runs rule logic written once as a generator that yields the expressions it needs: compiled
 * expressions are answered synchronously, interpreted ones make the run async. So rules inside
 * the compiled subset cost no promise, and the rest still work.
 */
import { type Expression, NeedsInterpreter, type Variables } from '../../core/expression/index.js'

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

const INTERPRET = Symbol('interpret')

/** The compiled answer, or INTERPRET when this evaluation needs the interpreter (no wrapper object per answer). */
function trySync(need: Need): unknown {
  const sync = need.expr.sync
  if (!sync) return INTERPRET
  try {
    return sync(need.input, need.vars)
  } catch (error) {
    if (error instanceof NeedsInterpreter) return INTERPRET
    throw error
  }
}

export function drive<R>(run: RuleRun<R>): Maybe<R> {
  let step = run.next()
  while (!step.done) {
    const answer = trySync(step.value)
    if (answer === INTERPRET) return finishAsync(run, step.value.expr.interpret(step.value.input, step.value.vars))
    step = run.next(answer)
  }
  return step.value
}

async function finishAsync<R>(run: RuleRun<R>, pending: Promise<unknown>): Promise<R> {
  let step = run.next(await pending)
  while (!step.done) {
    const answer = trySync(step.value)
    step = run.next(answer !== INTERPRET ? answer : await step.value.expr.interpret(step.value.input, step.value.vars))
  }
  return step.value
}

export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === 'function'
}
