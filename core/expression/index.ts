/**
 * JSONata expressions, as rules and alert routes use them: compiled once, evaluated synchronously
 * when they stay inside the compiled subset (compile.ts, runtime.ts), else by the jsonata
 * interpreter with a time budget; privpath's own functions (`$glob`, `$anyGlob`, `$duration`, …)
 * are the same in both (functions.ts).
 * In: an expression's source. Out: an Expression, or its syntax error with its position.
 * Not here: what the expression is evaluated over (the detector builds a rule's input, delivery
 * passes the alert).
 */
export { NeedsInterpreter } from './compile.js'
export type { Variables } from './compile.js'
export { expressionError, parseExpression } from './expression.js'
export type { Expression } from './expression.js'
export { glob, globToRegExp } from './functions.js'
export { boolize, toJsonataString } from './runtime.js'
