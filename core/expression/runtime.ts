/**
 * JSONata value semantics re-implemented for compiled expressions: sequences (arrays flagged
 * `sequence`, collapsed to their only item or to undefined), effective boolean value, string
 * conversion, deep equality and field lookup, following jsonata 2.x so compiled and interpreted
 * results are the same (checked by `compile.test.ts`).
 */
export interface Seq extends Array<unknown> {
  sequence: true
  keepSingleton?: boolean
  cons?: boolean
}

export class JsonataRuntimeError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
    this.name = 'JsonataRuntimeError'
  }
}

/**
 * A plain property (not defineProperty, which is slow in V8); arrays' named properties are
 * invisible to every array operation the compiled code and the engine use.
 */
export function createSequence(...items: unknown[]): Seq {
  const seq = [] as unknown as Seq
  seq.sequence = true
  if (items.length === 1) seq.push(items[0])
  return seq
}

export function isSequence(value: unknown): value is Seq {
  return Array.isArray(value) && (value as Partial<Seq>).sequence === true
}

/** What jsonata's `evaluate` does to every node result. */
export function normalize(result: unknown, keepArray = false): unknown {
  if (result && isSequence(result)) {
    if (keepArray) result.keepSingleton = true
    if (result.length === 0) return undefined
    if (result.length === 1) return result.keepSingleton ? result : result[0]
  }
  return result
}

export function isNumeric(n: unknown): n is number {
  if (typeof n !== 'number' || Number.isNaN(n)) return false
  if (!Number.isFinite(n)) throw new JsonataRuntimeError('D1001', 'number out of range')
  return true
}

export function toBoolean(arg: unknown): boolean | undefined {
  if (arg === undefined) return undefined
  if (Array.isArray(arg)) {
    if (arg.length === 1) return toBoolean(arg[0])
    if (arg.length > 1) return arg.some((v) => toBoolean(v))
    return false
  }
  if (typeof arg === 'string') return arg.length > 0
  if (isNumeric(arg)) return arg !== 0
  if (arg !== null && typeof arg === 'object') return Object.keys(arg).length > 0
  return arg === true
}

export function boolize(value: unknown): boolean {
  return toBoolean(value) ?? false
}

export function toJsonataString(arg: unknown): string | undefined {
  if (arg === undefined) return undefined
  if (typeof arg === 'string') return arg
  if (typeof arg === 'function') return ''
  if (typeof arg === 'number' && !Number.isFinite(arg)) {
    throw new JsonataRuntimeError('D3001', 'attempting to invoke string function on Infinity or NaN')
  }
  return JSON.stringify(arg, (_key, val: unknown) => {
    if (val !== undefined && val !== null && isNumeric(val)) {
      return !Number.isInteger(val) ? Number(val.toPrecision(15)) : val
    }
    return typeof val === 'function' ? '' : val
  })
}

export function deepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true
  if (typeof lhs !== 'object' || typeof rhs !== 'object' || lhs === null || rhs === null) return false
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false
    for (let i = 0; i < lhs.length; i++) if (!deepEqual(lhs[i], rhs[i])) return false
    return true
  }
  const lkeys = Object.getOwnPropertyNames(lhs).sort()
  const rkeys = Object.getOwnPropertyNames(rhs).sort()
  if (lkeys.length !== rkeys.length) return false
  for (let i = 0; i < lkeys.length; i++) if (lkeys[i] !== rkeys[i]) return false
  for (const key of lkeys) {
    if (!deepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key])) return false
  }
  return true
}

export function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = createSequence()
    for (const item of input) {
      const res = lookup(item, key)
      if (res === undefined) continue
      if (Array.isArray(res)) for (const v of res) result.push(v)
      else result.push(res)
    }
    return result
  }
  if (input !== null && typeof input === 'object' && Object.prototype.hasOwnProperty.call(input, key)) {
    return (input as Record<string, unknown>)[key]
  }
  return undefined
}

export function append(arg1: unknown, arg2: unknown): unknown {
  if (arg1 === undefined) return arg2
  if (arg2 === undefined) return arg1
  const a = Array.isArray(arg1) ? arg1 : createSequence(arg1)
  const b = Array.isArray(arg2) ? arg2 : [arg2]
  return a.concat(b)
}

export function isArrayOfNumbers(arg: unknown): arg is number[] {
  return Array.isArray(arg) && arg.every((item) => isNumeric(item))
}
