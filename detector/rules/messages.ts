/**
 * What a rule author reads for each field of RuleSchema that is missing or wrong: the one place
 * that turns schema errors into the messages documented for `privpath rules validate`. Keys are
 * paths in the rule, `*` for any list index; a bad list item without a key of its own is reported
 * on its list (`tags must be a list of strings`).
 */
import { ALERT_CATEGORIES, FRAMEWORKS, SEVERITIES } from '../../core/alert.js'
import type { PathSegment } from './source.js'
import { RULE_STATUSES } from './types.js'

export interface MessageContext {
  /** The value at `path`; undefined when missing. */
  value: unknown
  path: readonly PathSegment[]
  /** The whole rule, for messages that name the inline test they are about. */
  rule: unknown
}

type Message = string | ((at: MessageContext) => string)

export interface FieldMessages {
  /** Wrong type, not in the enum, out of range, bad item. */
  invalid: Message
  /** Required and missing; default `invalid`. */
  missing?: Message
  /** `field: ~` is the author leaving a required field out: `missing`, on the mapping that lacks it. */
  nullIsMissing?: boolean
  /** For a mapping: its name in "unknown field … in <name>". */
  mapping?: Message
  /** For a mapping whose keys are settings rather than fields. */
  unknownKey?: (at: MessageContext, key: string) => string
}

export const ON_MESSAGE = 'on must be a non-empty list of event kinds'
export const EXPIRES_MESSAGE = 'expires must be an RFC3339 date'

export function invalidDuration(key: string, value: unknown): string {
  return `${key}: invalid duration ${JSON.stringify(value)} (use e.g. 30s, 10m, 1h, 1d)`
}

/** The name of the inline test `tests[index]`, '' while it has none. */
export function testName(rule: unknown, index: number): string {
  const tests = (rule as { tests?: unknown } | null)?.tests
  const name = Array.isArray(tests) ? (tests[index] as { name?: unknown } | null)?.name : undefined
  return typeof name === 'string' && name.trim() !== '' ? name : ''
}

const inTest = (text: string) => (at: MessageContext) => `test "${testName(at.rule, Number(at.path[1]))}": ${text}`
const required = (key: string) => `${key} is required and must be a non-empty string`
const nonBlank = (key: string): FieldMessages => ({ invalid: required(key) })
const oneOf = (key: string, allowed: readonly string[]): FieldMessages => ({ invalid: `${key} must be one of ${allowed.join(', ')}` })
const expression = (key: string): FieldMessages => ({ invalid: `${key} must be a JSONata expression (string)` })
const duration = (key: string): FieldMessages => ({ invalid: (at) => invalidDuration(key, at.value) })
const requiredDuration = (key: string): FieldMessages => ({
  ...duration(key),
  missing: `${key} is required (a duration like 30s, 10m, 1h, 1d)`,
  nullIsMissing: true,
})
const unknownKind = (at: MessageContext) => `unknown event kind "${String(at.value)}"`
// a single kind is allowed in place of the list: a wrong one is an unknown kind, not a wrong list
const kinds: FieldMessages = { invalid: (at) => (typeof at.value === 'string' ? unknownKind(at) : ON_MESSAGE) }

function step(path: string, name: Message): Record<string, FieldMessages> {
  const label = (at: MessageContext) => render(name, at)
  return {
    [path]: { invalid: (at) => `${label(at)} must be a mapping { on, when? }`, mapping: label },
    [`${path}/on`]: kinds,
    [`${path}/on/*`]: { invalid: unknownKind },
    [`${path}/when`]: expression('when'),
  }
}

const expectation = (key: string, what: string): FieldMessages => ({
  invalid: (at) => inTest(`expect[${String(at.path[3])}].${key} must be ${what}`)(at),
})

const FIELDS: Record<string, FieldMessages> = {
  '': { invalid: 'a rule must be a mapping', mapping: 'rule' },
  '/id': {
    invalid: ({ value }) => (typeof value === 'string' && value.trim() !== '' ? `id "${value}" must be kebab-case` : required('id')),
  },
  '/title': nonBlank('title'),
  '/description': { invalid: 'description must be a string' },
  '/severity': oneOf('severity', SEVERITIES),
  '/category': oneOf('category', ALERT_CATEGORIES),
  '/status': oneOf('status', RULE_STATUSES),
  '/on': kinds,
  '/on/*': { invalid: unknownKind },
  '/when': expression('when'),
  '/hold': { invalid: 'hold must be true or false' },
  '/enforce': { invalid: 'enforce must be one of deny, warn, off' },
  '/enforce_mode': { invalid: 'enforce_mode must be enforce or shadow' },
  '/summary': { ...expression('summary'), missing: 'summary is required', nullIsMissing: true },
  '/dedup': { invalid: 'dedup must be a mapping { key, window }', mapping: 'dedup' },
  '/dedup/key': expression('key'),
  '/dedup/window': duration('window'),
  '/exceptions': { invalid: 'exceptions must be a list' },
  '/exceptions/*': { invalid: 'an exception must be a mapping { name, when, owner?, expires? }', mapping: 'exception' },
  '/exceptions/*/name': nonBlank('name'),
  '/exceptions/*/when': { ...expression('when'), missing: 'when is required', nullIsMissing: true },
  '/exceptions/*/owner': { invalid: 'owner must be a string' },
  '/exceptions/*/expires': { invalid: EXPIRES_MESSAGE },
  '/frameworks': { invalid: 'frameworks must be a mapping of framework → ids', mapping: 'frameworks' },
  ...Object.fromEntries(FRAMEWORKS.map((f) => [`/frameworks/${f}`, { invalid: `frameworks.${f} must be a list of ids` }])),
  '/runbook': { invalid: 'runbook must be a string' },
  '/tags': { invalid: 'tags must be a list of strings' },
  '/tests': { invalid: 'tests must be a list' },
  '/tests/*': { invalid: 'a test must be a mapping { name, config?, events, expect }', mapping: 'test' },
  '/tests/*/name': nonBlank('name'),
  '/tests/*/config': {
    invalid: inTest('config must be a mapping of detector settings'),
    unknownKey: (at, key) => inTest(`unknown detector setting "${key}"`)(at),
  },
  '/tests/*/events': { invalid: inTest('events must be a list') },
  '/tests/*/expect': { invalid: inTest('expect must be a list ([] = must not fire)') },
  '/tests/*/expect/*': { invalid: inTest('an expectation must be a mapping'), mapping: 'expectation' },
  '/tests/*/expect/*/count': expectation('count', 'an integer ≥ 1'),
  '/tests/*/expect/*/summary': expectation('summary', 'a string'),
  '/tests/*/expect/*/summary_contains': expectation('summary_contains', 'a string'),
  '/tests/*/expect/*/task_id': expectation('task_id', 'a string'),
  '/tests/*/expect/*/severity': expectation('severity', `one of ${SEVERITIES.join(', ')}`),
  '/tests/*/expect/*/category': expectation('category', `one of ${ALERT_CATEGORIES.join(', ')}`),
  '/threshold': { invalid: 'threshold must be a mapping', mapping: 'threshold' },
  '/threshold/count': { invalid: 'threshold.count must be an integer ≥ 1' },
  '/threshold/window': requiredDuration('window'),
  '/threshold/group_by': expression('group_by'),
  '/sequence': { invalid: 'sequence must be a mapping', mapping: 'sequence' },
  '/sequence/by': expression('by'),
  '/sequence/within': requiredDuration('within'),
  '/sequence/steps': { invalid: 'sequence.steps must list at least 2 steps' },
  ...step('/sequence/steps/*', (at) => `sequence.steps[${String(at.path[2])}]`),
  '/absence': { invalid: 'absence must be a mapping', mapping: 'absence' },
  '/absence/by': expression('by'),
  ...step('/absence/after', 'absence.after'),
  ...step('/absence/expect', 'absence.expect'),
  '/absence/within': duration('within'),
  '/absence/until': { invalid: 'absence.until must be task_end' },
}

/** The messages of the field at `pattern` (a path with `*` for list indexes), if it has its own. */
export function fieldMessages(pattern: string): FieldMessages | undefined {
  return Object.hasOwn(FIELDS, pattern) ? FIELDS[pattern] : undefined
}

export function render(message: Message, at: MessageContext): string {
  return typeof message === 'string' ? message : message(at)
}
