/**
 * One rule mapping of a YAML file → a compiled Rule, or problems with file:line:col. The shape
 * (fields, types, enums) is RuleSchema's, checked by schema-problems.ts; here is what a schema
 * does not say: JSONata syntax (positions inside the expression), durations, one correlation form
 * per rule, `on` unless steps name the kinds, exactly one of absence within/until, expiry dates,
 * inline test events; and the warnings: expired exceptions, event fields never set for the
 * rule's kinds. These run even when the shape is wrong, on the values that can be read, so one
 * pass reports everything.
 */
import { isMap, type LineCounter, type Node } from 'yaml'
import { isEventKind, type EventKind, type PrivpathEvent } from '../../core/event.js'
import { parseDuration } from '../../core/duration.js'
import { expressionError, parseExpression, type Expression } from '../../core/expression/index.js'
import { completeEvents } from './fixtures.js'
import { eventFieldsUsed, fieldAppliesTo } from './kinds.js'
import { EXPIRES_MESSAGE, invalidDuration, ON_MESSAGE, testName } from './messages.js'
import type { RuleDocument } from './schema.js'
import { schemaProblems } from './schema-problems.js'
import { expressionPosition, keyNodeAt, nodeAt, nodePosition, type PathSegment } from './source.js'
import { ENFORCEABLE_KINDS, type Correlation, type Rule, type RuleException, type RuleProblem, type RuleStep, type RuleTest } from './types.js'

const CORRELATIONS = ['threshold', 'sequence', 'absence'] as const
const DEDUP_WINDOW_MS = 600_000

type Mapping = Record<string, unknown>
const isMapping = (value: unknown): value is Mapping => value !== null && typeof value === 'object' && !Array.isArray(value)
// the shape may be wrong: a value that is not a mapping or a list reads as an empty one
const mapping = (value: unknown): Mapping => (isMapping(value) ? value : {})
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

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
  private root: Node | undefined

  constructor(private readonly ctx: ValidateContext) {}

  private problem(into: RuleProblem[], node: Node | undefined, message: string): void {
    const { line, col } = nodePosition(this.ctx.lines, node)
    into.push({ file: this.ctx.file, line, col, rule_id: this.ruleId, message })
  }
  private error(path: readonly PathSegment[], message: string): void {
    this.problem(this.errors, this.at(path), message)
  }
  private warn(path: readonly PathSegment[], message: string): void {
    this.problem(this.warnings, this.at(path), message)
  }
  private at(path: readonly PathSegment[]): Node | undefined {
    return this.root && nodeAt(this.root, path)
  }

  check(node: Node): Rule | undefined {
    const raw: unknown = node.toJSON()
    const errorsBefore = this.errors.length
    const rule = mapping(raw)
    this.root = node
    this.ruleId = typeof rule.id === 'string' ? rule.id : ''
    for (const { path, key, message } of schemaProblems(raw)) {
      this.problem(this.errors, key === undefined ? nodeAt(node, path) : keyNodeAt(node, path, key), message)
    }
    if (!isMap(node)) return undefined
    const forms = CORRELATIONS.filter((k) => rule[k] !== undefined)
    if (forms.length > 1) this.error([forms[1]], `${forms.join(', ')} are mutually exclusive`)
    const hasSteps = forms[0] === 'sequence' || forms[0] === 'absence'
    if (rule.on === undefined && !hasSteps) this.error([], ON_MESSAGE)
    if (rule.hold === true && forms.length > 0) this.error(['hold'], `hold: only a plain rule can be held (this one has ${forms[0]})`)
    this.enforcement(rule, forms[0])
    const when = this.expression(['when'], rule.when)
    const summary = this.expression(['summary'], rule.summary)
    const dedup = mapping(rule.dedup)
    const dedupKey = this.expression(['dedup', 'key'], dedup.key)
    const dedupWindowMs = this.duration(['dedup', 'window'], dedup.window, DEDUP_WINDOW_MS)
    const exceptions = this.exceptions(rule.exceptions)
    const correlation = this.correlation(rule, forms[0])
    const on = union(kinds(rule.on), ...correlationKinds(correlation))
    const testEvents = list(rule.tests).map((test, i) => this.testEvents(rule, i, mapping(test).events))
    this.fieldWarnings(on, correlation, when)
    if (this.errors.length > errorsBefore || !summary) return undefined
    // no problem found: the mapping matches RuleSchema
    const doc = raw as RuleDocument
    return {
      id: doc.id,
      title: doc.title,
      description: doc.description ?? '',
      severity: doc.severity,
      category: doc.category ?? 'incident',
      status: doc.status ?? 'stable',
      on,
      when,
      hold: doc.hold === true,
      enforce: doc.enforce ?? 'off',
      enforceMode: doc.enforce_mode ?? undefined,
      summary,
      dedup: { key: dedupKey, windowMs: dedupWindowMs },
      exceptions,
      frameworks: Object.entries(doc.frameworks ?? {}).flatMap(([scheme, ids]) => (ids ?? []).map((id) => `${scheme}:${String(id)}`)),
      runbook: doc.runbook ?? '',
      tags: doc.tags ?? [],
      tests: (doc.tests ?? []).map((t, i): RuleTest => ({ name: t.name, config: t.config ?? {}, events: testEvents[i], expect: t.expect })),
      correlation,
      file: this.ctx.file,
      line: nodePosition(this.ctx.lines, node).line,
    }
  }

  /** Absent (or null) is undefined; a value that is not a string, boolean or number is the schema's to report. */
  /**
   * A rule that enforces is judged on a proposed call as it stands, so it must be a plain rule on
   * a kind a proposed call becomes: windows and absences need events that have not happened.
   */
  private enforcement(rule: Mapping, form: (typeof CORRELATIONS)[number] | undefined): void {
    if (rule.enforce === undefined || rule.enforce === null || rule.enforce === 'off') return
    if (form !== undefined) this.error(['enforce'], `enforce: only a plain rule can decide a proposed call (this one has ${form})`)
    const on = kinds(rule.on)
    if (on.length > 0 && !on.some((kind) => (ENFORCEABLE_KINDS as readonly string[]).includes(kind))) {
      this.error(['enforce'], `enforce: the rule must be on ${ENFORCEABLE_KINDS.join(' or ')} to decide a proposed call (it is on ${on.join(', ')})`)
    }
  }

  private expression(path: readonly PathSegment[], value: unknown): Expression | undefined {
    if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') return undefined
    const source = String(value)
    const problem = expressionError(source)
    if (problem) {
      const { line, col } = expressionPosition(this.ctx.lines, this.ctx.text, this.at(path), problem.position)
      const key = String(path.at(-1))
      this.errors.push({ file: this.ctx.file, line, col, rule_id: this.ruleId, message: `${key}: JSONata: ${problem.message}` })
      return undefined
    }
    return parseExpression(source, { timeoutMs: this.ctx.timeoutMs })
  }

  /** A duration that is not a string (or is missing) is the schema's to report. */
  private duration(path: readonly PathSegment[], value: unknown, fallback: number): number {
    if (typeof value !== 'string') return fallback
    const ms = parseDuration(value)
    if (ms === undefined || ms <= 0) {
      this.error(path, invalidDuration(String(path.at(-1)), value))
      return fallback
    }
    return ms
  }

  private exceptions(value: unknown): RuleException[] {
    return list(value).flatMap((item, i) => {
      const exception = mapping(item)
      const name = typeof exception.name === 'string' ? exception.name : ''
      const when = this.expression(['exceptions', i, 'when'], exception.when)
      const expires = this.expires(['exceptions', i, 'expires'], exception.expires, name)
      const owner = typeof exception.owner === 'string' ? exception.owner : ''
      return when ? [{ name, when, owner, expires }] : []
    })
  }

  /** Epoch ms, or null when it never expires. */
  private expires(path: readonly PathSegment[], value: unknown, name: string): number | null {
    if (typeof value !== 'string') return null
    const ms = Date.parse(value)
    if (Number.isNaN(ms)) {
      this.error(path, EXPIRES_MESSAGE)
      return null
    }
    if (ms <= this.ctx.now) this.warn(path, `exception "${name}" expired on ${value}; it no longer applies`)
    return ms
  }

  private step(path: readonly PathSegment[], value: unknown): RuleStep {
    const step = mapping(value)
    return { on: kinds(step.on), when: this.expression([...path, 'when'], step.when) }
  }

  private correlation(rule: Mapping, type: (typeof CORRELATIONS)[number] | undefined): Correlation {
    if (type === undefined) return { type: 'none' }
    const c = rule[type]
    // not a mapping: the schema says so, and there is no correlation to read
    if (!isMapping(c)) return { type: 'none' }
    if (type === 'threshold') {
      const count = typeof c.count === 'number' ? c.count : 1
      return { type, count, windowMs: this.duration([type, 'window'], c.window, 1), groupBy: this.expression([type, 'group_by'], c.group_by) }
    }
    if (type === 'sequence') {
      const steps = list(c.steps).map((s, i) => this.step([type, 'steps', i], s))
      return { type, by: this.expression([type, 'by'], c.by), withinMs: this.duration([type, 'within'], c.within, 1), steps }
    }
    // null is the author leaving the field out
    const within = c.within ?? undefined
    const until = c.until ?? undefined
    if ((within === undefined) === (until === undefined)) this.error([type], 'absence needs exactly one of within, until: task_end')
    return {
      type,
      by: this.expression([type, 'by'], c.by),
      after: this.step([type, 'after'], c.after),
      expect: this.step([type, 'expect'], c.expect),
      withinMs: within === undefined ? null : this.duration([type, 'within'], within, 1),
      untilTaskEnd: until === 'task_end',
    }
  }

  private testEvents(rule: Mapping, index: number, events: unknown): PrivpathEvent[] {
    if (!Array.isArray(events)) return []
    const completed = completeEvents(events)
    for (const message of completed.errors) this.error(['tests', index, 'events'], `test "${testName(rule, index)}": ${message}`)
    return completed.events
  }

  private fieldWarnings(on: EventKind[], correlation: Correlation, when: Expression | undefined): void {
    if (!when || correlation.type !== 'none') return
    for (const field of eventFieldsUsed(when.source)) {
      if (!on.some((kind) => fieldAppliesTo(field, kind))) {
        this.warn(['when'], `when refers to event.${field}, which is always empty for ${on.join(', ')}`)
      }
    }
  }
}

/** `on` is one kind or a list; unknown kinds are the schema's to report. */
function kinds(value: unknown): EventKind[] {
  return (typeof value === 'string' ? [value] : list(value)).filter(isEventKind)
}

function correlationKinds(correlation: Correlation): EventKind[][] {
  if (correlation.type === 'sequence') return correlation.steps.map((s) => s.on)
  if (correlation.type === 'absence') {
    return [correlation.after.on, correlation.expect.on, correlation.untilTaskEnd ? ['task_end'] : []]
  }
  return []
}

function union<T>(...lists: T[][]): T[] {
  return [...new Set(lists.flat())]
}
