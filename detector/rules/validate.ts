/**
 * One rule mapping of a YAML file → a compiled Rule, or problems with file:line:col.
 * Checks unknown fields, kinds, severities, statuses, durations, JSONata syntax and the inline
 * test fixtures; warns about expired exceptions and event fields that are never set for the
 * rule's kinds.
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node, type YAMLMap } from 'yaml'
import { SEVERITIES, FRAMEWORKS, type Severity } from '../../core/alert.js'
import { isEventKind, type EventKind } from '../../core/event.js'
import { DetectorSection } from '../../core/config/schema.js'
import { parseDuration } from '../../core/duration.js'
import { expressionError, parseExpression, type Expression } from '../../core/expression/index.js'
import { completeEvents } from './fixtures.js'
import { eventFieldsUsed, fieldAppliesTo } from './kinds.js'
import { expressionPosition, nodePosition } from './source.js'
import {
  RULE_STATUSES,
  type Correlation,
  type Rule,
  type RuleException,
  type RuleProblem,
  type RuleStatus,
  type RuleStep,
  type RuleTest,
  type RuleTestExpectation,
} from './types.js'

const RULE_FIELDS = [
  'id', 'title', 'description', 'severity', 'status', 'on', 'when', 'summary', 'dedup', 'exceptions',
  'frameworks', 'runbook', 'tags', 'tests', 'threshold', 'sequence', 'absence',
]
const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/
const DETECTOR_KEYS = new Set(Object.keys(DetectorSection.properties))

export interface ValidateContext {
  file: string
  text: string
  lines: LineCounter
  timeoutMs: number
  now: number
}

export class RuleChecker {
  readonly errors: RuleProblem[] = []
  readonly warnings: RuleProblem[] = []
  private ruleId = ''

  constructor(private readonly ctx: ValidateContext) {}

  private problem(list: RuleProblem[], node: Node | null | undefined, message: string): void {
    const { line, col } = nodePosition(this.ctx.lines, node)
    list.push({ file: this.ctx.file, line, col, rule_id: this.ruleId, message })
  }
  error(node: Node | null | undefined, message: string): void {
    this.problem(this.errors, node, message)
  }
  warn(node: Node | null | undefined, message: string): void {
    this.problem(this.warnings, node, message)
  }

  check(node: Node): Rule | undefined {
    if (!isMap(node)) {
      this.error(node, 'a rule must be a mapping')
      return undefined
    }
    const errorsBefore = this.errors.length
    const raw = node.toJSON() as Record<string, unknown>
    this.ruleId = typeof raw.id === 'string' ? raw.id : ''
    this.unknownFields(node, RULE_FIELDS, 'rule')
    const id = this.requireString(node, 'id')
    if (id !== undefined && !ID.test(id)) this.error(valueNode(node, 'id'), `id "${id}" must be kebab-case`)
    const title = this.requireString(node, 'title') ?? ''
    const description = this.optionalString(node, 'description')
    const severity = this.oneOf(node, 'severity', SEVERITIES, true) as Severity
    const status = (this.oneOf(node, 'status', RULE_STATUSES, false) ?? 'stable') as RuleStatus
    const correlationKeys = ['threshold', 'sequence', 'absence'].filter((k) => raw[k] !== undefined)
    if (correlationKeys.length > 1) {
      this.error(valueNode(node, correlationKeys[1]), `${correlationKeys.join(', ')} are mutually exclusive`)
    }
    const hasSteps = correlationKeys[0] === 'sequence' || correlationKeys[0] === 'absence'
    let on = this.kinds(node, 'on', !hasSteps)
    const when = this.expression(node, 'when', false)
    const summary = this.expression(node, 'summary', true)
    const dedup = this.dedup(valueNode(node, 'dedup'))
    const exceptions = this.exceptions(valueNode(node, 'exceptions'))
    const frameworks = this.frameworks(valueNode(node, 'frameworks'))
    const correlation = this.correlation(node, correlationKeys[0])
    if (correlation.type === 'sequence') on = union(on, ...correlation.steps.map((s) => s.on))
    if (correlation.type === 'absence') {
      on = union(on, correlation.after.on, correlation.expect.on, correlation.untilTaskEnd ? ['task_end'] : [])
    }
    const tests = this.tests(valueNode(node, 'tests'))
    this.fieldWarnings(on, correlation, when, valueNode(node, 'when'))
    if (this.errors.length > errorsBefore || !summary || id === undefined) return undefined
    return {
      id, title, description, severity, status, on, when, summary, dedup, exceptions, frameworks,
      runbook: this.optionalString(node, 'runbook'),
      tags: this.stringList(node, 'tags'),
      tests,
      correlation,
      file: this.ctx.file,
      line: nodePosition(this.ctx.lines, node).line,
    }
  }

  private unknownFields(node: YAMLMap, allowed: readonly string[], what: string): void {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      if (!allowed.includes(key)) this.error(pair.key as Node, `unknown field "${key}" in ${what} (allowed: ${allowed.join(', ')})`)
    }
  }

  private requireString(node: YAMLMap, key: string): string | undefined {
    const value = node.get(key)
    if (typeof value !== 'string' || value.trim() === '') {
      this.error(valueNode(node, key) ?? node, `${key} is required and must be a non-empty string`)
      return undefined
    }
    return value
  }

  private optionalString(node: YAMLMap, key: string): string {
    const value = node.get(key)
    if (value === undefined || value === null) return ''
    if (typeof value !== 'string') this.error(valueNode(node, key), `${key} must be a string`)
    return typeof value === 'string' ? value : ''
  }

  private stringList(node: YAMLMap, key: string): string[] {
    const value = node.toJSON()[key] as unknown
    if (value === undefined || value === null) return []
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      this.error(valueNode(node, key), `${key} must be a list of strings`)
      return []
    }
    return value as string[]
  }

  private oneOf(node: YAMLMap, key: string, allowed: readonly string[], required: boolean): string | undefined {
    const value = node.get(key)
    if (value === undefined && !required) return undefined
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.error(valueNode(node, key) ?? node, `${key} must be one of ${allowed.join(', ')}`)
      return undefined
    }
    return value
  }

  private kinds(node: YAMLMap, key: string, required: boolean): EventKind[] {
    const value = node.toJSON()[key] as unknown
    if (value === undefined && !required) return []
    const list = typeof value === 'string' ? [value] : value
    if (!Array.isArray(list) || list.length === 0) {
      this.error(valueNode(node, key) ?? node, `${key} must be a non-empty list of event kinds`)
      return []
    }
    const seqNode = valueNode(node, key)
    list.forEach((kind, i) => {
      if (!isEventKind(kind)) {
        const item = isSeq(seqNode) ? (seqNode.items[i] as Node) : seqNode
        this.error(item, `unknown event kind "${String(kind)}"`)
      }
    })
    return list.filter(isEventKind)
  }

  expression(node: YAMLMap, key: string, required: boolean): Expression | undefined {
    const value = node.get(key)
    const vnode = valueNode(node, key)
    if (value === undefined || value === null) {
      if (required) this.error(node, `${key} is required`)
      return undefined
    }
    if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') {
      this.error(vnode, `${key} must be a JSONata expression (string)`)
      return undefined
    }
    const source = String(value)
    const problem = expressionError(source)
    if (problem) {
      const { line, col } = expressionPosition(this.ctx.lines, this.ctx.text, vnode, problem.position)
      this.errors.push({ file: this.ctx.file, line, col, rule_id: this.ruleId, message: `${key}: JSONata: ${problem.message}` })
      return undefined
    }
    return parseExpression(source, { timeoutMs: this.ctx.timeoutMs })
  }

  private duration(node: YAMLMap, key: string, fallback: number | undefined): number | undefined {
    const value = node.get(key)
    if (value === undefined) {
      if (fallback === undefined) this.error(node, `${key} is required (a duration like 30s, 10m, 1h, 1d)`)
      return fallback
    }
    const ms = parseDuration(value)
    if (ms === undefined || ms <= 0) {
      this.error(valueNode(node, key), `${key}: invalid duration ${JSON.stringify(value)} (use e.g. 30s, 10m, 1h, 1d)`)
      return fallback ?? 1
    }
    return ms
  }

  private dedup(node: Node | undefined): Rule['dedup'] {
    const defaults = { key: undefined, windowMs: 600_000 }
    if (node === undefined) return defaults
    if (!isMap(node)) {
      this.error(node, 'dedup must be a mapping { key, window }')
      return defaults
    }
    this.unknownFields(node, ['key', 'window'], 'dedup')
    return { key: this.expression(node, 'key', false), windowMs: this.duration(node, 'window', 600_000)! }
  }

  private exceptions(node: Node | undefined): RuleException[] {
    if (node === undefined) return []
    if (!isSeq(node)) {
      this.error(node, 'exceptions must be a list')
      return []
    }
    const out: RuleException[] = []
    for (const item of node.items as Node[]) {
      if (!isMap(item)) {
        this.error(item, 'an exception must be a mapping { name, when, owner?, expires? }')
        continue
      }
      this.unknownFields(item, ['name', 'when', 'owner', 'expires'], 'exception')
      const name = this.requireString(item, 'name')
      const when = this.expression(item, 'when', true)
      const owner = this.optionalString(item, 'owner')
      let expires: number | null = null
      const rawExpires = item.get('expires')
      if (rawExpires !== undefined && rawExpires !== null) {
        expires = typeof rawExpires === 'string' ? Date.parse(rawExpires) : NaN
        if (Number.isNaN(expires)) {
          this.error(valueNode(item, 'expires'), 'expires must be an RFC3339 date')
          expires = null
        } else if (expires <= this.ctx.now) {
          this.warn(valueNode(item, 'expires'), `exception "${name}" expired on ${rawExpires as string}; it no longer applies`)
        }
      }
      if (name !== undefined && when) out.push({ name, when, owner, expires })
    }
    return out
  }

  private frameworks(node: Node | undefined): string[] {
    if (node === undefined) return []
    if (!isMap(node)) {
      this.error(node, 'frameworks must be a mapping of framework → ids')
      return []
    }
    this.unknownFields(node, FRAMEWORKS, 'frameworks')
    const out: string[] = []
    for (const [scheme, ids] of Object.entries(node.toJSON() as Record<string, unknown>)) {
      if (ids === null) continue
      if (!Array.isArray(ids) || ids.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
        this.error(valueNode(node, scheme), `frameworks.${scheme} must be a list of ids`)
        continue
      }
      for (const id of ids) out.push(`${scheme}:${String(id)}`)
    }
    return out
  }

  private step(node: Node | undefined, where: string): RuleStep | undefined {
    if (!isMap(node)) {
      this.error(node, `${where} must be a mapping { on, when? }`)
      return undefined
    }
    this.unknownFields(node, ['on', 'when'], where)
    return { on: this.kinds(node, 'on', true), when: this.expression(node, 'when', false) }
  }

  private correlation(rule: YAMLMap, type: string | undefined): Correlation {
    if (type === undefined) return { type: 'none' }
    const node = valueNode(rule, type)
    if (!isMap(node)) {
      this.error(node, `${type} must be a mapping`)
      return { type: 'none' }
    }
    if (type === 'threshold') {
      this.unknownFields(node, ['count', 'window', 'group_by'], 'threshold')
      const count = node.get('count')
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
        this.error(valueNode(node, 'count') ?? node, 'threshold.count must be an integer ≥ 1')
      }
      return {
        type, count: typeof count === 'number' ? count : 1,
        windowMs: this.duration(node, 'window', undefined) ?? 1, groupBy: this.expression(node, 'group_by', false),
      }
    }
    if (type === 'sequence') {
      this.unknownFields(node, ['by', 'within', 'steps'], 'sequence')
      const stepsNode = valueNode(node, 'steps')
      const steps: RuleStep[] = []
      if (!isSeq(stepsNode) || stepsNode.items.length < 2) this.error(stepsNode ?? node, 'sequence.steps must list at least 2 steps')
      else stepsNode.items.forEach((s, i) => { const step = this.step(s as Node, `sequence.steps[${i}]`); if (step) steps.push(step) })
      return { type, by: this.expression(node, 'by', false), withinMs: this.duration(node, 'within', undefined) ?? 1, steps }
    }
    this.unknownFields(node, ['by', 'after', 'expect', 'within', 'until'], 'absence')
    const until = node.get('until')
    if (until !== undefined && until !== 'task_end') this.error(valueNode(node, 'until'), 'absence.until must be task_end')
    if ((until === undefined) === (node.get('within') === undefined)) this.error(node, 'absence needs exactly one of within, until: task_end')
    const after = this.step(valueNode(node, 'after'), 'absence.after')
    const expect = this.step(valueNode(node, 'expect'), 'absence.expect')
    const withinMs = node.get('within') === undefined ? null : (this.duration(node, 'within', undefined) ?? 1)
    return {
      type: 'absence', by: this.expression(node, 'by', false),
      after: after ?? { on: [], when: undefined }, expect: expect ?? { on: [], when: undefined },
      withinMs, untilTaskEnd: until === 'task_end',
    }
  }

  private tests(node: Node | undefined): RuleTest[] {
    if (node === undefined) return []
    if (!isSeq(node)) {
      this.error(node, 'tests must be a list')
      return []
    }
    const out: RuleTest[] = []
    for (const item of node.items as Node[]) {
      if (!isMap(item)) {
        this.error(item, 'a test must be a mapping { name, config?, events, expect }')
        continue
      }
      this.unknownFields(item, ['name', 'config', 'events', 'expect'], 'test')
      const raw = item.toJSON() as Record<string, unknown>
      const name = this.requireString(item, 'name') ?? ''
      const config = (raw.config ?? {}) as Record<string, unknown>
      for (const key of Object.keys(config)) {
        if (!DETECTOR_KEYS.has(key)) this.error(valueNode(item, 'config'), `test "${name}": unknown detector setting "${key}"`)
      }
      const { events, errors } = Array.isArray(raw.events) ? completeEvents(raw.events) : { events: [], errors: ['events must be a list'] }
      for (const message of errors) this.error(valueNode(item, 'events') ?? item, `test "${name}": ${message}`)
      const expect = this.expectations(valueNode(item, 'expect'), name)
      out.push({ name, config, events, expect })
    }
    return out
  }

  private expectations(node: Node | undefined, test: string): RuleTestExpectation[] {
    if (!isSeq(node)) {
      this.error(node, `test "${test}": expect must be a list ([] = must not fire)`)
      return []
    }
    return (node.items as Node[]).flatMap((item) => {
      if (!isMap(item)) {
        this.error(item, `test "${test}": an expectation must be a mapping`)
        return []
      }
      this.unknownFields(item, ['count', 'summary', 'summary_contains', 'task_id', 'severity'], 'expectation')
      return [item.toJSON() as RuleTestExpectation]
    })
  }

  private fieldWarnings(on: EventKind[], correlation: Correlation, when: Expression | undefined, whenNode: Node | undefined): void {
    if (!when || correlation.type !== 'none') return
    for (const field of eventFieldsUsed(when.source)) {
      if (!on.some((kind) => fieldAppliesTo(field, kind))) {
        this.warn(whenNode, `when refers to event.${field}, which is always empty for ${on.join(', ')}`)
      }
    }
  }
}

function valueNode(map: YAMLMap, key: string): Node | undefined {
  const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value === key : p.key === key))
  return (pair?.value ?? undefined) as Node | undefined
}

function union<T>(...lists: T[][]): T[] {
  return [...new Set(lists.flat())]
}
