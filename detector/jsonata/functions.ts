/**
 * privpath's JSONata functions, shared by the interpreter (registered on each expression) and
 * the compiled evaluator, so both give the same answers.
 */
import { parseDuration } from '../duration.js'
import { deepEqual, JsonataRuntimeError } from './runtime.js'

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

const globCache = new Map<string, RegExp>()

export function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern)
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
    re = new RegExp(`^${body}$`, 's')
    if (globCache.size > 10_000) globCache.clear()
    globCache.set(pattern, re)
  }
  return re
}

export function glob(value: unknown, patterns: unknown): boolean {
  if (typeof value !== 'string') return false
  for (const pattern of asList(patterns)) {
    if (typeof pattern === 'string' && globToRegExp(pattern).test(value)) return true
  }
  return false
}

export function ms(duration: unknown): number {
  const value = parseDuration(duration)
  if (value === undefined) throw new JsonataRuntimeError('PP0001', `$ms: invalid duration ${JSON.stringify(duration)}`)
  return value
}

export function containsAll(a: unknown, b: unknown): boolean {
  const have = asList(a)
  return asList(b).every((item) => have.some((h) => deepEqual(h, item)))
}

export function minus(a: unknown, b: unknown): unknown[] {
  const remove = asList(b)
  return asList(a).filter((item) => !remove.some((r) => deepEqual(r, item)))
}

export const CUSTOM_FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  glob: glob as (...args: unknown[]) => unknown,
  ms: ms as (...args: unknown[]) => unknown,
  contains_all: containsAll as (...args: unknown[]) => unknown,
  minus: minus as (...args: unknown[]) => unknown,
}
