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

/** One alternation per pattern list; lists are mostly the same array each time (rule literals, config). */
const listCache = new WeakMap<object, RegExp>()

function listRegExp(patterns: unknown[]): RegExp {
  let re = listCache.get(patterns)
  if (!re) {
    const sources = patterns.filter((p): p is string => typeof p === 'string').map((p) => globToRegExp(p).source.slice(1, -1))
    re = sources.length === 0 ? /(?!)/ : new RegExp(`^(?:${sources.join('|')})$`, 's')
    listCache.set(patterns, re)
  }
  return re
}

export function glob(value: unknown, patterns: unknown): boolean {
  if (typeof value !== 'string') return false
  if (Array.isArray(patterns)) return listRegExp(patterns).test(value)
  return typeof patterns === 'string' && globToRegExp(patterns).test(value)
}

function ms(duration: unknown): number {
  const value = parseDuration(duration)
  if (value === undefined) throw new JsonataRuntimeError('PP0001', `$ms: invalid duration ${JSON.stringify(duration)}`)
  return value
}

function containsAll(a: unknown, b: unknown): boolean {
  const have = asList(a)
  return asList(b).every((item) => have.some((h) => deepEqual(h, item)))
}

function minus(a: unknown, b: unknown): unknown[] {
  const remove = asList(b)
  return asList(a).filter((item) => !remove.some((r) => deepEqual(r, item)))
}

export const CUSTOM_FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  glob: glob as (...args: unknown[]) => unknown,
  ms: ms as (...args: unknown[]) => unknown,
  contains_all: containsAll as (...args: unknown[]) => unknown,
  minus: minus as (...args: unknown[]) => unknown,
}
