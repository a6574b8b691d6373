/**
 * Compiles the common subset of JSONata (from the parser's AST) to JavaScript closures that
 * evaluate synchronously. In: `jsonata(expr).ast()`. Out: a function of (input, variables), or
 * `undefined` when the expression uses anything outside the subset (the caller then keeps the
 * interpreter for that expression). Semantics follow jsonata 2.x node by node: every node result
 * passes through sequence normalisation, filters run per step, comparisons and arithmetic throw
 * on the same type errors.
 */
import type jsonata from 'jsonata'
import { CUSTOM_FUNCTIONS } from './functions.js'
import {
  append,
  boolize,
  createSequence,
  deepEqual,
  isArrayOfNumbers,
  isNumeric,
  isSequence,
  JsonataRuntimeError,
  lookup,
  normalize,
  toBoolean,
  toJsonataString,
  type Seq,
} from './runtime.js'

export type Variables = Record<string, unknown>
export type CompiledFn = (input: unknown, vars: Variables) => unknown

/** The AST as jsonata really produces it (its .d.ts lists fewer node types than exist). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- node fields differ per node type; the compiler checks `type` before reading them
type Node = Omit<jsonata.ExprNode, 'type'> & { type: string } & Record<string, any>

class Unsupported extends Error {}

/**
 * Thrown by compiled code for a case only the interpreter models (a builtin function used as a
 * value, or a builtin shadowed by a binding); the caller re-evaluates with the interpreter.
 */
export class NeedsInterpreter extends Error {}
const NEEDS_INTERPRETER = new NeedsInterpreter('needs the jsonata interpreter')

const UNSUPPORTED_PROPS = ['group', 'focus', 'index', 'tuple', 'ancestor', 'seekingParent', 'keepSingletonArray']

function typeError(code: string, message: string): never {
  throw new JsonataRuntimeError(code, message)
}

function typedArray(value: unknown, type: 'number' | 'string', fn: string): unknown[] | undefined {
  if (value === undefined) return undefined
  const list = Array.isArray(value) ? value : [value]
  if (list.some((v) => typeof v !== type)) typeError('T0412', `argument of $${fn} must be an array of ${type}s`)
  return list
}

function round(arg: unknown, precision: unknown): number | undefined {
  if (arg === undefined) return undefined
  if (typeof arg !== 'number') typeError('T0410', 'argument of $round must be a number')
  if (precision !== undefined && typeof precision !== 'number') typeError('T0410', 'precision of $round must be a number')
  let value = arg
  const p = precision as number | undefined
  if (p) {
    const parts = value.toString().split('e')
    value = +(parts[0] + 'e' + (parts[1] ? +parts[1] + p : p))
  }
  let result = Math.round(value)
  if (Math.abs(result - value) === 0.5 && Math.abs(result % 2) === 1) result = result - 1
  if (p) {
    const parts = result.toString().split('e')
    result = +(parts[0] + 'e' + (parts[1] ? +parts[1] - p : -p))
  }
  return Object.is(result, -0) ? 0 : result
}

const BUILTINS: Record<string, { arity: number | number[]; fn: (...args: unknown[]) => unknown }> = {
  max: { arity: 1, fn: (a) => { const l = typedArray(a, 'number', 'max') as number[] | undefined; return l && l.length > 0 ? Math.max(...l) : undefined } },
  min: { arity: 1, fn: (a) => { const l = typedArray(a, 'number', 'min') as number[] | undefined; return l && l.length > 0 ? Math.min(...l) : undefined } },
  sum: { arity: 1, fn: (a) => { const l = typedArray(a, 'number', 'sum') as number[] | undefined; return l ? l.reduce((x, y) => x + y, 0) : undefined } },
  round: { arity: [1, 2], fn: (a, p) => round(a, p) },
  join: {
    arity: [1, 2],
    fn: (a, sep) => {
      const l = typedArray(a, 'string', 'join')
      if (l === undefined) return undefined
      if (sep !== undefined && typeof sep !== 'string') typeError('T0410', 'separator of $join must be a string')
      return l.join((sep as string | undefined) ?? '')
    },
  },
  lookup: {
    arity: 2,
    fn: (o, k) => {
      // jsonata's signature coercion of a non-string key is its own business
      if (typeof k !== 'string') throw NEEDS_INTERPRETER
      return lookup(o, k)
    },
  },
  count: { arity: 1, fn: (a) => (a === undefined ? 0 : Array.isArray(a) ? a.length : 1) },
  exists: { arity: 1, fn: (a) => a !== undefined },
  string: {
    arity: 1,
    fn: (a) => toJsonataString(a),
  },
  lowercase: { arity: 1, fn: (a) => (a === undefined ? undefined : requireString(a, 'lowercase').toLowerCase()) },
  uppercase: { arity: 1, fn: (a) => (a === undefined ? undefined : requireString(a, 'uppercase').toUpperCase()) },
  length: { arity: 1, fn: (a) => (a === undefined ? undefined : [...requireString(a, 'length')].length) },
  contains: {
    arity: 2,
    fn: (s, p) => {
      requireString(s, 'contains', true)
      if (p !== undefined && typeof p !== 'string') typeError('T0410', 'pattern of $contains must be a string or a regex')
      if (s === undefined || p === undefined) return undefined
      return (s as string).includes(p)
    },
  },
  not: { arity: 1, fn: (a) => (a === undefined ? undefined : !toBoolean(a)) },
  boolean: { arity: 1, fn: (a) => toBoolean(a) },
}

function requireString(value: unknown, fn: string, optional = false): string {
  if (typeof value !== 'string' && !(optional && value === undefined)) typeError('T0410', `argument of $${fn} must be a string`)
  return value as string
}

/**
 * A block's frame links to the enclosing one instead of using it as a prototype
 * (Object.create on a fresh variables object each evaluation is costly in V8).
 */
const PARENT = Symbol('enclosing frame')
const own = Object.prototype.hasOwnProperty

function readVariable(vars: Variables, name: string): unknown {
  for (let frame: Variables | undefined = vars; frame !== undefined; frame = (frame as { [PARENT]?: Variables })[PARENT]) {
    if (own.call(frame, name)) return frame[name]
  }
  return undefined
}

export function compileAst(ast: jsonata.ExprNode): CompiledFn | undefined {
  try {
    return compileNode(ast as unknown as Node)
  } catch (error) {
    if (error instanceof Unsupported) return undefined
    throw error
  }
}

function compileNode(node: Node): CompiledFn {
  for (const prop of UNSUPPORTED_PROPS) if (node[prop] !== undefined) throw new Unsupported(prop)
  const body = compileBody(node)
  const predicates: CompiledFilter[] = (node.predicate ?? []).map((p: Node) => compileFilter(p))
  const keepArray = node.keepArray === true
  // only paths (mapping over arrays) and $lookup build sequences; other results pass through as is
  const buildsSequences = (node.type === 'path' && !isSimplePath(node)) || node.type === 'function'
  if (predicates.length === 0 && !keepArray && !buildsSequences) return body
  if (predicates.length === 0) return (input, vars) => normalize(body(input, vars), keepArray)
  return (input, vars) => {
    let result = body(input, vars)
    for (const filter of predicates) result = filter(result, vars)
    return normalize(result, keepArray)
  }
}

function compileBody(node: Node): CompiledFn {
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const value = node.value
      return () => value
    }
    case 'name': {
      const key = node.value as string
      return (input) => lookup(input, key)
    }
    case 'variable': {
      const name = node.value as string
      if (name === '') return (input) => input
      if (name === '$') throw new Unsupported('root variable')
      if (name in BUILTINS || name in CUSTOM_FUNCTIONS) {
        return (_input, vars) => {
          const value = readVariable(vars, name)
          if (value === undefined || typeof value === 'function') throw NEEDS_INTERPRETER
          return value
        }
      }
      return (_input, vars) => {
        const value = readVariable(vars, name)
        return typeof value === 'function' ? undefined : value
      }
    }
    case 'path':
      return compilePath(node)
    case 'binary':
      return compileBinary(node)
    case 'unary':
      return compileUnary(node)
    case 'condition': {
      const condition = compileNode(node.condition)
      const then = compileNode(node.then)
      const otherwise = node.else === undefined ? undefined : compileNode(node.else)
      return (input, vars) =>
        toBoolean(condition(input, vars)) ? then(input, vars) : otherwise ? otherwise(input, vars) : undefined
    }
    case 'block': {
      const expressions = (node.expressions as Node[]).map((e) => (e.type === 'bind' ? compileBind(e) : compileNode(e)))
      const binds = (node.expressions as Node[]).some((e) => e.type === 'bind')
      return (input, vars) => {
        // a block is a scope: bindings made inside it do not leak out
        const frame = binds ? ({ [PARENT]: vars } as Variables) : vars
        let result: unknown
        for (const e of expressions) result = e(input, frame)
        return result
      }
    }
    case 'function':
      return compileFunction(node)
    default:
      throw new Unsupported(node.type)
  }
}

/** `$name := expr`, only directly inside a block (which owns the frame it writes to). */
function compileBind(node: Node): CompiledFn {
  const target = node.lhs as Node
  if (target.type !== 'variable' || target.value === '' || target.predicate || target.stages) throw new Unsupported('bind target')
  const name = target.value as string
  if (name in BUILTINS || name in CUSTOM_FUNCTIONS) throw new Unsupported('rebinding a function')
  const value = compileNode(node.rhs as Node)
  for (const prop of UNSUPPORTED_PROPS) if (node[prop] !== undefined) throw new Unsupported(prop)
  if (node.predicate || node.keepArray) throw new Unsupported('bind with predicate')
  return (input, vars) => {
    const result = value(input, vars)
    // an undefined binding still shadows the enclosing scope, as in jsonata's frames
    vars[name] = result
    return result
  }
}

function compileFunction(node: Node): CompiledFn {
  const procedure = node.procedure as Node
  if (procedure.type !== 'variable' || procedure.predicate || procedure.stages) throw new Unsupported('procedure')
  const name = procedure.value as string
  const args = (node.arguments as Node[]).map((a) => compileNode(a))
  const builtin = BUILTINS[name]
  const fn = builtin?.fn ?? CUSTOM_FUNCTIONS[name]
  if (!fn) throw new Unsupported(`function $${name}`)
  if (builtin && ![builtin.arity].flat().includes(args.length)) throw new Unsupported(`arity of $${name}`)
  const shadowed = (vars: Variables): void => {
    if (readVariable(vars, name) !== undefined) throw NEEDS_INTERPRETER
  }
  if (args.length === 1) {
    const [a] = args
    return (input, vars) => (shadowed(vars), fn(a(input, vars)))
  }
  if (args.length === 2) {
    const [a, b] = args
    return (input, vars) => (shadowed(vars), fn(a(input, vars), b(input, vars)))
  }
  return (input, vars) => (shadowed(vars), fn(...args.map((a) => a(input, vars))))
}

function compileUnary(node: Node): CompiledFn {
  if (node.value === '-') {
    const expression = compileNode(node.expression)
    return (input, vars) => {
      const value = expression(input, vars)
      if (value === undefined) return undefined
      if (isNumeric(value)) return -value
      return typeError('D1002', 'cannot negate a non-numeric value')
    }
  }
  if (node.value === '[') {
    const items = (node.expressions as Node[]).map((e) => ({ nested: e.value === '[', fn: compileNode(e) }))
    const cons = node.consarray === true
    if ((node.expressions as Node[]).every(isConstant)) {
      // literal lists (pattern lists in rules) are built once; nothing downstream mutates arrays
      const constant = compileUnaryArray(items, cons)(undefined, {})
      return () => constant
    }
    return compileUnaryArray(items, cons)
  }
  throw new Unsupported(`unary ${node.value}`)
}

function isConstant(node: Node): boolean {
  if (node.predicate || node.stages || node.keepArray || node.group) return false
  if (node.type === 'string' || node.type === 'number' || node.type === 'value') return true
  return node.type === 'unary' && node.value === '[' && (node.expressions as Node[]).every(isConstant)
}

function compileUnaryArray(items: Array<{ nested: boolean; fn: CompiledFn }>, cons: boolean): CompiledFn {
  return (input, vars) => {
    let result: unknown[] = []
    for (const item of items) {
      const value = item.fn(input, vars)
      if (value === undefined) continue
      if (item.nested) result.push(value)
      else result = append(result, value) as unknown[]
    }
    if (cons) Object.defineProperty(result, 'cons', { enumerable: false, configurable: false, value: true })
    return result
  }
}

function compileBinary(node: Node): CompiledFn {
  const op = node.value as string
  const lhs = compileNode(node.lhs as Node)
  const rhs = compileNode(node.rhs as Node)
  switch (op) {
    case 'and':
      return (input, vars) => boolize(lhs(input, vars)) && boolize(rhs(input, vars))
    case 'or':
      return (input, vars) => boolize(lhs(input, vars)) || boolize(rhs(input, vars))
    case '=':
    case '!=': {
      const negate = op === '!='
      return (input, vars) => {
        const l = lhs(input, vars)
        const r = rhs(input, vars)
        if (l === undefined || r === undefined) return false
        return deepEqual(l, r) !== negate
      }
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (input, vars) => compare(lhs(input, vars), rhs(input, vars), op)
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return (input, vars) => arithmetic(lhs(input, vars), rhs(input, vars), op)
    case '&':
      return (input, vars) => {
        const l = lhs(input, vars)
        const r = rhs(input, vars)
        return (l === undefined ? '' : toJsonataString(l)!) + (r === undefined ? '' : toJsonataString(r)!)
      }
    case 'in':
      return (input, vars) => {
        const l = lhs(input, vars)
        const r = rhs(input, vars)
        if (l === undefined || r === undefined) return false
        return Array.isArray(r) ? r.includes(l) : r === l
      }
    default:
      throw new Unsupported(`operator ${op}`)
  }
}

function compare(l: unknown, r: unknown, op: string): boolean | undefined {
  const lt = typeof l
  const rt = typeof r
  const lok = lt === 'undefined' || lt === 'string' || lt === 'number'
  const rok = rt === 'undefined' || rt === 'string' || rt === 'number'
  if (!lok || !rok) typeError('T2010', 'comparison needs numbers or strings')
  if (l === undefined || r === undefined) return undefined
  if (lt !== rt) typeError('T2009', 'comparison of a number with a string')
  const a = l as number | string
  const b = r as number | string
  switch (op) {
    case '<':
      return a < b
    case '<=':
      return a <= b
    case '>':
      return a > b
    default:
      return a >= b
  }
}

function arithmetic(l: unknown, r: unknown, op: string): number | undefined {
  if (l !== undefined && !isNumeric(l)) typeError('T2001', `left side of ${op} must be a number`)
  if (r !== undefined && !isNumeric(r)) typeError('T2002', `right side of ${op} must be a number`)
  if (l === undefined || r === undefined) return undefined
  const a = l as number
  const b = r as number
  switch (op) {
    case '+':
      return a + b
    case '-':
      return a - b
    case '*':
      return a * b
    case '/':
      return a / b
    default:
      return a % b
  }
}

type CompiledFilter = (input: unknown, vars: Variables) => Seq | unknown[]

function compileFilter(stage: Node): CompiledFilter {
  if (stage.type !== 'filter') throw new Unsupported(`stage ${stage.type}`)
  const predicate = stage.expr as Node
  if (predicate.type === 'number') {
    const literal = Math.floor(predicate.value as number)
    return (input) => {
      const items = Array.isArray(input) ? input : createSequence(input)
      const index = literal < 0 ? items.length + literal : literal
      const item = items[index]
      if (item === undefined) return createSequence()
      return Array.isArray(item) ? item : createSequence(item)
    }
  }
  const fn = compileNode(predicate)
  return (input, vars) => {
    const results = createSequence()
    const items = Array.isArray(input) ? input : createSequence(input)
    for (let index = 0; index < items.length; index++) {
      const item = items[index]
      let res = fn(item, vars)
      if (isNumeric(res)) res = [res]
      if (isArrayOfNumbers(res)) {
        for (const raw of res) {
          let i = Math.floor(raw)
          if (i < 0) i = items.length + i
          if (i === index) results.push(item)
        }
      } else if (toBoolean(res)) {
        results.push(item)
      }
    }
    return results
  }
}

interface CompiledStep {
  fn: CompiledFn
  stages: CompiledFilter[]
  consarray: boolean
}

const SIMPLE_STEP_PROPS = ['stages', 'predicate', 'keepArray', 'consarray', ...UNSUPPORTED_PROPS]

/**
 * `a.b.c` over objects: plain property reads. Equal to the general path evaluation as long as no
 * value on the way is an array (then it defers to the general one, which maps over it).
 */
function isSimplePath(node: Node): boolean {
  return (node.steps as Node[]).every((s) => s.type === 'name' && SIMPLE_STEP_PROPS.every((p) => s[p] === undefined))
}

function simplePath(node: Node, general: CompiledFn): CompiledFn | undefined {
  const steps = node.steps as Node[]
  if (!isSimplePath(node)) return undefined
  // Generated source, so that each path has inline caches of its own: one shared closure reading
  // `value[keys[i]]` for every path in every rule goes megamorphic. Keys enter as JSON string
  // literals, never as code.
  const reads = steps
    .map((s) => JSON.stringify(s.value as string))
    .map((key) => `
      if (Array.isArray(value)) return normalize(general(input, vars))
      if (value === null || typeof value !== 'object' || !own.call(value, ${key})) return undefined
      value = value[${key}]`)
    .join('')
  const build = new Function('normalize', 'general', 'own', `return function simplePath(input, vars) {
      let value = input${reads}
      return value
    }`) as (n: typeof normalize, g: CompiledFn, o: typeof own) => CompiledFn
  return build(normalize, general, own)
}

function compilePath(node: Node): CompiledFn {
  const general = compileGeneralPath(node)
  return simplePath(node, general) ?? general
}

function compileGeneralPath(node: Node): CompiledFn {
  const stepNodes = node.steps as Node[]
  const firstIsVariable = stepNodes[0]?.type === 'variable'
  const steps: CompiledStep[] = stepNodes.map((step) => {
    if (step.type === 'sort') throw new Unsupported('sort')
    return {
      fn: compileNode(step),
      stages: ((step.stages ?? []) as Node[]).map((s) => compileFilter(s)),
      consarray: step.consarray === true,
    }
  })
  return (input, vars) => {
    let inputSequence: unknown[] = Array.isArray(input) && !firstIsVariable ? input : createSequence(input)
    let resultSequence: unknown[] | undefined
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]
      if (i === 0 && step.consarray) {
        resultSequence = step.fn(inputSequence, vars) as unknown[] | undefined
      } else {
        resultSequence = evaluateStep(step, inputSequence, vars, i === steps.length - 1)
      }
      if (resultSequence === undefined || resultSequence.length === 0) break
      inputSequence = resultSequence
    }
    return resultSequence
  }
}

/** Appends a step result to a sequence: arrays are flattened into it, constructed arrays kept whole. */
function flattenInto(sequence: unknown[], res: unknown): void {
  if (!Array.isArray(res) || (res as Seq).cons) sequence.push(res)
  else for (const v of res) sequence.push(v)
}

// Most steps yield one value or none: the sequence is only made once there is something for it,
// with no list of results in between (this runs for every array-valued path on every event).
function evaluateStep(step: CompiledStep, input: unknown[], vars: Variables, lastStep: boolean): unknown[] {
  let first: unknown
  let sequence: unknown[] | undefined
  for (const item of input) {
    let res = step.fn(item, vars)
    for (const stage of step.stages) res = stage(res, vars)
    if (res === undefined) continue
    if (first === undefined && sequence === undefined) {
      first = res
      continue
    }
    if (sequence === undefined) {
      sequence = createSequence()
      flattenInto(sequence, first)
    }
    flattenInto(sequence, res)
  }
  if (sequence !== undefined) return sequence
  if (lastStep && Array.isArray(first) && !isSequence(first)) return first as unknown[]
  const single = createSequence()
  if (first !== undefined) flattenInto(single, first)
  return single
}
