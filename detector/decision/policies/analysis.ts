/**
 * What a policy reads, from its JSON form: the actions it names (the validator's schema declares
 * them) and the attributes it reads. Handing Cedar the whole context costs ~10 µs per attribute
 * (every value crosses into wasm through serde), most of an evaluation; Cedar has no dynamic
 * attribute access, so the attributes a policy set can read are known statically, and the context
 * passed is cut down to them without changing any decision. Cedar evaluates a policy's scope
 * before its conditions (`&&`, short-circuited), so a policy whose scope excludes the action
 * reads nothing: the cut is per action.
 */
import type { Expr, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs'

/** Attributes needed from a value: all of it, or only some, each with what it needs. */
export interface Needs {
  all: boolean
  attrs: Map<string, Needs>
}

export interface Reads {
  context: Needs
  principal: Needs
  resource: Needs
}

const needs = (): Needs => ({ all: false, attrs: new Map() })

export function emptyReads(): Reads {
  return { context: needs(), principal: needs(), resource: needs() }
}

/** Ids of the `Action::"…"` entities a policy names, in its scope or its conditions. */
export function actionsNamed(policy: PolicyJson): string[] {
  const found = new Set<string>()
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit)
    if (value === null || typeof value !== 'object') return
    const { type, id } = uidOf(value)
    if (type === 'Action' && typeof id === 'string') found.add(id)
    Object.values(value).forEach(visit)
  }
  visit(policy.action)
  policy.conditions.forEach((c) => visit(c.body))
  return [...found]
}

// an entity uid is written `{ type, id }` or `{ __entity: { type, id } }`
const uidOf = (value: object): { type?: unknown; id?: unknown } => ((value as { __entity?: object }).__entity ?? value) as { type?: unknown; id?: unknown }
const uidId = (value: object): unknown => uidOf(value).id

/** Can `policy`'s action scope match `action`? (No action groups: `in` a list is membership.) */
export function appliesTo(policy: PolicyJson, action: string): boolean {
  const scope = policy.action
  if (scope.op === 'All') return true
  if ('entities' in scope) return scope.entities.some((e) => uidId(e) === action)
  return 'entity' in scope && uidId(scope.entity) === action
}

/** A chain of attribute reads on a variable (`context.credential.ttl_ms`), or undefined. */
function chain(expr: Expr): string[] | undefined {
  const e = expr as Record<string, unknown>
  if ('Var' in e) return [e.Var as string]
  if ('.' in e) {
    const { left, attr } = e['.'] as { left: Expr; attr: string }
    const head = chain(left)
    return head && [...head, attr]
  }
  return undefined
}

function mark(reads: Reads, path: string[]): void {
  const [root, ...attrs] = path
  if (root !== 'context' && root !== 'principal' && root !== 'resource') return
  let node = reads[root]
  for (const attr of attrs) {
    if (node.all) return
    let next = node.attrs.get(attr)
    if (!next) node.attrs.set(attr, (next = needs()))
    node = next
  }
  node.all = true
}

// `principal == Agent::"x"` compares the entity's uid: no attribute of it is read
const UID_OPERATORS = new Set(['==', '!=', 'in', 'is'])
const isEntityVar = (e: unknown) => {
  const v = (e as { Var?: unknown }).Var
  return v === 'principal' || v === 'resource' || v === 'action'
}

/** Adds what `policy`'s conditions read to `reads`. */
export function addReads(reads: Reads, policy: PolicyJson): void {
  const visit = (expr: Expr): void => {
    const e = expr as Record<string, unknown>
    const [op] = Object.keys(e)
    const body = e[op] as Record<string, unknown> | unknown[]
    if (op === 'Value' || op === 'Slot') return
    if (op === 'Var' || op === '.') {
      const path = chain(expr)
      if (path) return mark(reads, path)
    }
    if (op === 'has') {
      const { left, attr } = body as { left: Expr; attr: string | string[] }
      const path = chain(left)
      return path ? mark(reads, [...path, ...(Array.isArray(attr) ? attr : [attr])]) : visit(left)
    }
    // a `like` pattern is literal text, not expressions
    const children = Array.isArray(body) ? body : op === 'like' ? [body.left] : Object.values(body)
    for (const child of children) {
      if (child === null || typeof child !== 'object') continue
      if (UID_OPERATORS.has(op) && isEntityVar(child)) continue
      visit(child as Expr)
    }
  }
  policy.conditions.forEach((c) => visit(c.body))
}

/** `value` cut down to what `needs` reads; shared, not copied, where all of it is read. */
export function project(value: Record<string, unknown>, needs: Needs): Record<string, unknown> {
  if (needs.all) return value
  const out: Record<string, unknown> = {}
  for (const [attr, sub] of needs.attrs) {
    const v = value[attr]
    if (v === undefined) continue
    out[attr] = sub.all || v === null || typeof v !== 'object' || Array.isArray(v) ? v : project(v as Record<string, unknown>, sub)
  }
  return out
}
