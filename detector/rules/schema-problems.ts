/**
 * A rule's JSON value against RuleSchema: each TypeBox error becomes the message of messages.ts
 * for its field, with the path of the node to point at (and, for an unknown field, its key).
 */
import type { TLocalizedValidationError } from 'typebox/error'
import { Settings } from 'typebox/system'
import { Value } from 'typebox/value'
import { fieldMessages, render, type FieldMessages, type MessageContext } from './messages.js'
import { RuleSchema } from './schema.js'
import type { PathSegment } from './source.js'

export interface SchemaProblem {
  /** The node the problem is about. */
  path: PathSegment[]
  /** Set for an unknown field: the key to point at, in the mapping at `path`. */
  key?: string
  message: string
}

/**
 * TypeBox stops at 8 errors by default; an author fixing a rule wants every one. The bound
 * stays, for a file that is wrong everywhere.
 */
const MAX_ERRORS = 1_000

export function schemaProblems(rule: unknown): SchemaProblem[] {
  const errors = withErrorLimit(() => Value.Errors(RuleSchema, rule))
  const seen = new Set<string>()
  return closestBranches(errors)
    .flatMap((error) => translate(error, rule))
    .filter((p) => {
      // items of one list share its message: one report per list
      const id = JSON.stringify([p.path, p.key, p.message])
      if (seen.has(id)) return false
      seen.add(id)
      return true
    })
}

function withErrorLimit<T>(run: () => T): T {
  const limit = Settings.Get().maxErrors
  Settings.Set({ maxErrors: MAX_ERRORS })
  try {
    return run()
  } finally {
    Settings.Set({ maxErrors: limit })
  }
}

type SchemaError = TLocalizedValidationError

function translate(error: SchemaError, rule: unknown): SchemaProblem[] {
  const path = instancePath(error.instancePath, rule)
  const at = (where: readonly PathSegment[]): MessageContext => ({ value: valueAt(rule, where), path: where, rule })
  switch (error.keyword) {
    case 'boolean':
      // the per-key half of additionalProperties: false, reported with the mapping's error
      return []
    case 'required':
      return error.params.requiredProperties.map((name) => {
        const field = fieldFor([...path, name]).messages
        return { path, message: render(field.missing ?? field.invalid, at([...path, name])) }
      })
    case 'additionalProperties': {
      const { messages: field } = fieldFor(path)
      const allowed = Object.keys(schemaAt(error.schemaPath).properties ?? {})
      return error.params.additionalProperties.map((key) =>
        field.unknownKey
          ? { path, message: field.unknownKey(at(path), key) }
          : { path, key, message: `unknown field "${key}" in ${render(field.mapping ?? '', at(path))} (allowed: ${allowed.join(', ')})` },
      )
    }
    default: {
      const { messages: field, depth } = fieldFor(path)
      const where = path.slice(0, depth)
      if (field.nullIsMissing && valueAt(rule, where) === null) {
        return [{ path: where.slice(0, -1), message: render(field.missing ?? field.invalid, at(where)) }]
      }
      return [{ path: where, message: render(field.invalid, at(where)) }]
    }
  }
}

/** The nearest field at or above `path` that has messages (a list item reports on its list). */
function fieldFor(path: readonly PathSegment[]): { messages: FieldMessages; depth: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const pattern = path.slice(0, depth).map((key) => (typeof key === 'number' ? '/*' : `/${key}`)).join('')
    const messages = fieldMessages(pattern)
    if (messages) return { messages, depth }
  }
  // '' always has messages; reaching here means messages.ts lost its root entry
  throw new Error('messages.ts has no messages for the rule itself')
}

/** JSON pointer → path, list indexes as numbers (they read as `*` in messages.ts). */
function instancePath(pointer: string, rule: unknown): PathSegment[] {
  const path: PathSegment[] = []
  let value = rule
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const segment = Array.isArray(value) ? Number(key) : key
    path.push(segment)
    value = valueAt(value, [segment])
  }
  return path
}

function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PathSegment, unknown>)[key]
  }
  return current
}

function schemaAt(schemaPath: string): { properties?: Record<string, unknown> } {
  const path = schemaPath.replace(/^#\/?/, '').split('/').filter((s) => s !== '')
  return valueAt(RuleSchema, path.map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))) as { properties?: Record<string, unknown> }
}

/**
 * A value that fails every branch of a union (`on` is a kind or a list of kinds) gets errors from
 * each. Keep the branch the value came closest to matching, the one whose errors reach deepest
 * into the value (a list of kinds with one unknown: that kind, not "not a string"); when no branch
 * stands out, the union's own error, which messages.ts words for the field.
 */
function closestBranches(errors: SchemaError[]): SchemaError[] {
  const dropped = new Set<SchemaError>()
  const depth = (e: SchemaError) => e.instancePath.split('/').length
  const inside = (e: SchemaError, union: SchemaError) =>
    e !== union &&
    e.schemaPath.startsWith(`${union.schemaPath}/anyOf/`) &&
    (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`))
  // outer unions first: a union inside a branch that loses goes with it
  const unions = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length)
  for (const union of unions) {
    if (dropped.has(union)) continue
    const members = errors.filter((e) => inside(e, union))
    const branch = (e: SchemaError) => e.schemaPath.slice(union.schemaPath.length + '/anyOf/'.length).split('/')[0]
    const reach = new Map<string, number>()
    for (const e of members) reach.set(branch(e), Math.max(reach.get(branch(e)) ?? 0, depth(e)))
    const deepest = Math.max(...reach.values())
    const closest = [...reach].filter(([, d]) => d === deepest).map(([b]) => b)
    const winner = deepest > depth(union) && closest.length === 1 ? closest[0] : undefined
    if (winner !== undefined) dropped.add(union)
    for (const e of members) if (branch(e) !== winner) dropped.add(e)
  }
  return errors.filter((e) => !dropped.has(e))
}
