/**
 * Inline tests of a policy set: `<name>.tests.yaml` beside `<name>.cedar`, a list of cases
 * `{ name, input, expect: allow|deny, policies? }`. `input` is a partial PolicyInput: what it
 * leaves out takes the defaults of schema.ts, and the fields the decision engine derives are
 * derived the same way (the tool is the action, the resource is the target, cross_tenant and
 * has_credential follow from tenants and the credential). Every attribute is checked against the
 * schema, so a misspelt one is an error at its line rather than a test that passes for nothing.
 */
import { isMap, LineCounter, parseDocument, type Node } from 'yaml'
import type { RuleProblem } from '../../rules/types.js'
import { keyNodeAt, nodeAt, nodePosition, type PathSegment } from '../../rules/source.js'
import type { PolicyInput, PrivilegePathContext } from '../policy-input.js'
import { CONTEXT, defaultOf, PRINCIPAL, RESOURCE, type Attr } from './schema.js'

export interface PolicyTest {
  file: string
  line: number
  name: string
  input: PolicyInput
  expect: 'allow' | 'deny'
  /** Policies that must be among the denials, with where each is named (for unknown ids). */
  policies: Array<{ id: string; line: number; col: number }>
}

interface Issue {
  path: PathSegment[]
  /** For an unknown key: the key, where the problem points. */
  key?: string
  message: string
}

type Mapping = Record<string, unknown>
const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v)
/** `input.context.arguments[0].kind`: the path inside the test (its index in the file left out). */
const dotted = (path: readonly PathSegment[]) =>
  path.slice(1).map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1)

/** `value` with every missing attribute defaulted, and an issue for each one that is wrong. */
function complete(attr: Attr, value: unknown, path: PathSegment[], issues: Issue[]): unknown {
  if (value === undefined || value === null) return defaultOf(attr)
  const wrong = (what: string) => {
    issues.push({ path, message: `${dotted(path)} must be ${what}` })
    return defaultOf(attr)
  }
  switch (attr.type) {
    case 'String':
      return typeof value === 'string' ? value : wrong('a string')
    case 'Long':
      return Number.isSafeInteger(value) ? value : wrong('an integer')
    case 'Boolean':
      return typeof value === 'boolean' ? value : wrong('true or false')
    case 'Set':
      return Array.isArray(value) ? value.map((v, i) => complete(attr.element, v, [...path, i], issues)) : wrong('a list')
    case 'Record': {
      if (!isMapping(value)) return wrong(`a mapping (${attr.name})`)
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(attr.attributes, key)) {
          issues.push({ path, key, message: `unknown attribute "${key}" in ${dotted(path)} (allowed: ${Object.keys(attr.attributes).join(', ')})` })
        }
      }
      return Object.fromEntries(Object.entries(attr.attributes).map(([k, a]) => [k, complete(a, value[k], [...path, k], issues)]))
    }
  }
}

const INPUT_FIELDS = ['principal', 'action', 'resource', 'context']
const CASE_FIELDS = ['name', 'input', 'expect', 'policies']

function completeInput(input: unknown, path: PathSegment[], issues: Issue[]): PolicyInput {
  const given = isMapping(input) ? input : {}
  if (input !== undefined && !isMapping(input)) issues.push({ path, message: 'input must be a mapping { principal?, action?, resource?, context? }' })
  for (const key of Object.keys(given)) {
    if (!INPUT_FIELDS.includes(key)) issues.push({ path, key, message: `unknown field "${key}" in input (allowed: ${INPUT_FIELDS.join(', ')})` })
  }
  const raw = isMapping(given.context) ? given.context : {}
  const context = complete(CONTEXT as unknown as Attr, given.context, [...path, 'context'], issues) as PrivilegePathContext
  const action = typeof given.action === 'string' ? given.action : typeof raw.tool === 'string' ? raw.tool : 'test-tool'
  if (given.action !== undefined && typeof given.action !== 'string') issues.push({ path: [...path, 'action'], message: 'action must be a string (the tool)' })
  if (raw.tool === undefined) context.tool = action
  if (raw.cross_tenant === undefined) context.cross_tenant = context.target_tenant !== '' && context.target_tenant !== context.tenant
  if (raw.has_credential === undefined) context.has_credential = context.credential.id !== ''
  const principal = complete({ ...PRINCIPAL, attributes: { id: { type: 'String', doc: '', fallback: 'test-agent' }, ...PRINCIPAL.attributes } }, given.principal, [...path, 'principal'], issues)
  const resourceAttr: Attr = {
    ...RESOURCE,
    attributes: { id: { type: 'String', doc: '', fallback: context.target_resource || action }, tenant: { type: 'String', doc: '', fallback: context.target_tenant } },
  }
  const resource = complete(resourceAttr, given.resource, [...path, 'resource'], issues)
  return { principal, action, resource, context } as PolicyInput
}

/**
 * A complete PolicyInput from a partial one, as an inline test's `input` is completed (for tests
 * and tools that build inputs by hand); throws on an attribute PolicyInput does not have.
 */
export function policyInput(partial: object = {}): PolicyInput {
  const issues: Issue[] = []
  const input = completeInput(partial, [0, 'input'], issues)
  if (issues.length > 0) throw new Error(issues.map((i) => i.message).join('; '))
  return input
}

function checkCase(value: unknown, index: number, issues: Issue[]): Omit<PolicyTest, 'file' | 'line' | 'policies'> & { policies: string[] } | undefined {
  const path: PathSegment[] = [index]
  if (!isMapping(value)) {
    issues.push({ path, message: 'a test must be a mapping { name, input, expect, policies? }' })
    return undefined
  }
  for (const key of Object.keys(value)) {
    if (!CASE_FIELDS.includes(key)) issues.push({ path, key, message: `unknown field "${key}" in test (allowed: ${CASE_FIELDS.join(', ')})` })
  }
  const name = typeof value.name === 'string' && value.name.trim() !== '' ? value.name : ''
  if (name === '') issues.push({ path: [...path, 'name'], message: 'name is required and must be a non-empty string' })
  const of = (message: string) => (name ? `test "${name}": ${message}` : message)
  const before = issues.length
  const input = completeInput(value.input, [...path, 'input'], issues)
  for (const issue of issues.slice(before)) issue.message = of(issue.message)
  if (value.expect !== 'allow' && value.expect !== 'deny') issues.push({ path: [...path, 'expect'], message: of('expect must be allow or deny') })
  const policies = value.policies ?? []
  if (!Array.isArray(policies) || !policies.every((p) => typeof p === 'string')) {
    issues.push({ path: [...path, 'policies'], message: of('policies must be a list of policy ids (the policies that must deny)') })
    return undefined
  }
  if (policies.length > 0 && value.expect === 'allow') {
    issues.push({ path: [...path, 'policies'], message: of('policies lists the policies that must deny: it goes with expect: deny') })
  }
  return { name, input, expect: value.expect as 'allow' | 'deny', policies: policies as string[] }
}

export function parsePolicyTests(file: string, text: string): { tests: PolicyTest[]; errors: RuleProblem[] } {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const problem = (node: Node | undefined | null, message: string, rule_id = ''): RuleProblem => ({ file, ...nodePosition(lines, node), rule_id, message })
  if (doc.errors.length > 0) {
    return { tests: [], errors: doc.errors.map((e) => ({ file, ...(e.linePos?.[0] ?? lines.linePos(e.pos[0])), rule_id: '', message: `YAML: ${e.message.split('\n')[0]}` })) }
  }
  const root = doc.contents as Node | null
  const value: unknown = doc.toJS()
  if (value === null || value === undefined) return { tests: [], errors: [] }
  if (!Array.isArray(value) || isMap(root) || !root) return { tests: [], errors: [problem(root, 'a policy test file must be a list of tests { name, input, expect, policies? }')] }
  const tests: PolicyTest[] = []
  const errors: RuleProblem[] = []
  const names = new Set<string>()
  value.forEach((item, index) => {
    const issues: Issue[] = []
    const test = checkCase(item, index, issues)
    for (const issue of issues) errors.push(problem(issue.key ? keyNodeAt(root, issue.path, issue.key) : nodeAt(root, issue.path), issue.message))
    if (!test || issues.length > 0) return
    if (names.has(test.name)) {
      errors.push(problem(nodeAt(root, [index, 'name']), `duplicate test name "${test.name}"`))
      return
    }
    names.add(test.name)
    const policies = test.policies.map((id, i) => ({ id, ...nodePosition(lines, nodeAt(root, [index, 'policies', i])) }))
    tests.push({ ...test, file, line: nodePosition(lines, nodeAt(root, [index])).line, policies })
  })
  // a case's own fields are checked before its input's: back to reading order
  return { tests, errors: errors.sort((a, b) => a.line - b.line || a.col - b.col) }
}
