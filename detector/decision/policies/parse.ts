/**
 * One `.cedar` file → its policies, or problems with file:line:col: Cedar syntax, static policies
 * only (no templates: nothing links them), the annotations privpath reads (`@id`, `@mode`,
 * `@reason`), and the validator's type checks against the schema made from PolicyInput (an
 * attribute the context does not have, a comparison of a Long with a String), as errors; the
 * validator's warnings (a policy that can never match) as warnings.
 */
import { basename } from 'node:path'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import type { DetailedError, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs'
import type { RuleProblem } from '../../rules/types.js'
import { actionsNamed } from './analysis.js'
import { RESERVED_IDS, type LoadedPolicy, type PolicyMode } from './policy-set.js'
import { cedarSchema } from './schema.js'
import { CedarSource, type Statement } from './source.js'

const MODES: readonly string[] = ['enforce', 'shadow'] satisfies PolicyMode[]

export interface ParsedPolicies {
  policies: LoadedPolicy[]
  errors: RuleProblem[]
  warnings: RuleProblem[]
}

/** Cedar's message, without the prefixes that name its own ids, with its label and help. */
function cedarMessage(error: DetailedError): string {
  // every action has the same context: which one the validator checked against is noise
  const clean = (text: string) =>
    text
      .replace(/^failed to parse (policies|policy)( with id `[^`]*`)? from string: /, '')
      .replace(/^for policy `[^`]*`, /, '')
      .replace(/ in context for Action::"(?:[^"\\]|\\.)*"/, ' in context')
  const label = error.sourceLocations?.find((l) => l.label)?.label
  return `Cedar: ${clean(error.message)}${label ? `: ${label}` : ''}${error.help ? ` (${clean(error.help)})` : ''}`
}

export function parsePolicyText(file: string, text: string): ParsedPolicies {
  const source = new CedarSource(text)
  const out: ParsedPolicies = { policies: [], errors: [], warnings: [] }
  const problem = (into: RuleProblem[], byteOffset: number, id: string, message: string) =>
    into.push({ file, ...source.position(byteOffset), rule_id: id, message })
  // locations are relative to the text Cedar was given; without one, point at the policy
  const report = (into: RuleProblem[], base: number, fallback: number, id: string, error: DetailedError) => {
    const location = error.sourceLocations?.[0]
    problem(into, location ? base + location.start : fallback, id, cedarMessage(error))
  }

  // the whole file first: its syntax errors point into the file as written
  const whole = cedar.checkParsePolicySet({ staticPolicies: text })
  if (whole.type === 'failure' && whole.errors.some((e) => (e.sourceLocations ?? []).length > 0)) {
    for (const error of whole.errors) report(out.errors, 0, 0, '', error)
    return out
  }

  const parsed: Array<{ statement: Statement; json: PolicyJson; policy: LoadedPolicy }> = []
  source.statements().forEach((statement, index) => {
    const answer = cedar.policyToJson(statement.text)
    if (answer.type === 'failure') {
      // a template (`?principal`): the whole-file check said so, without a position
      for (const error of answer.errors) report(out.errors, statement.byteOffset, statement.start, '', error)
      return
    }
    const json = answer.json
    const annotations = json.annotations ?? {}
    const id = annotations.id ?? `${basename(file)}#${index + 1}`
    const at = (name: string) => statement.annotations.get(name) ?? statement.start
    const error = (name: string, message: string) => problem(out.errors, at(name), id, message)
    if (id.trim() === '') error('id', '@id must not be empty')
    else if (RESERVED_IDS.includes(id)) error('id', `@id "${id}" is reserved`)
    const mode = annotations.mode ?? 'enforce'
    if (!MODES.includes(mode)) error('mode', `@mode must be "enforce" or "shadow" (got "${mode}")`)
    else if (mode === 'shadow' && json.effect === 'permit') error('mode', '@mode("shadow") is for forbid policies: a permit never denies')
    const reason = annotations.reason?.trim() ? annotations.reason : id
    const policy: LoadedPolicy = {
      id, effect: json.effect, mode: mode as PolicyMode, reason, text: statement.text, json, file, line: source.position(statement.start).line,
    }
    parsed.push({ statement, json, policy })
  })
  // the policies that parsed are type-checked even when others did not: one pass reports everything
  validate(parsed, (into, statement, id, error) =>
    report(into === 'errors' ? out.errors : out.warnings, statement.byteOffset, statement.start, id, error),
  )
  if (out.errors.length === 0) out.policies = parsed.map((p) => p.policy)
  // each check reports in its own pass: back to reading order
  for (const list of [out.errors, out.warnings]) list.sort((a, b) => a.line - b.line || a.col - b.col)
  return out
}

type Report = (into: 'errors' | 'warnings', statement: Statement, id: string, error: DetailedError) => void

/** Cedar's validator, with the actions the file's policies name declared (tools are open-ended). */
function validate(parsed: Array<{ statement: Statement; json: PolicyJson; policy: LoadedPolicy }>, report: Report): void {
  if (parsed.length === 0) return
  const actions = [...new Set(parsed.flatMap((p) => actionsNamed(p.json)))]
  // keyed by position: ids may still collide here (duplicates are reported across files)
  const policies = Object.fromEntries(parsed.map((p, i) => [String(i), p.statement.text]))
  const answer = cedar.validate({ schema: cedarSchema(actions), policies: { staticPolicies: policies }, validationSettings: { mode: 'strict' } })
  if (answer.type === 'failure') {
    for (const error of answer.errors) report('errors', parsed[0].statement, '', error)
    return
  }
  for (const [into, list] of [['errors', answer.validationErrors], ['warnings', answer.validationWarnings]] as const) {
    for (const { policyId, error } of list) {
      const p = parsed[Number(policyId)]
      report(into, p.statement, p.policy.id, error)
    }
  }
  for (const warning of answer.otherWarnings) report('warnings', parsed[0].statement, '', warning)
}
