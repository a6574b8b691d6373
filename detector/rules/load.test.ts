import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtinRulesDir, loadRules, parseRuleText } from './load.js'
import { validateRules } from './validate-all.js'

const NOW = Date.parse('2026-06-01T00:00:00Z')
const parse = (text: string) => parseRuleText('r.yaml', text, { now: NOW })

const BASE = `id: ok-rule
title: t
severity: low
on: [tool_invocation]
summary: '"x"'
`

describe('rule validation', () => {
  it('accepts a complete rule and converts its parts', () => {
    const { rules, errors, warnings } = parse(`${BASE}dedup: { key: event.tool_name, window: 1h }
frameworks: { owasp_agentic: [ASI01], mitre_atlas: [AML.T0051] }
tests:
  - name: n
    config: { privileged_tools: ["db.*"] }
    events:
      - { kind: tool_invocation, ts: "2026-01-01T00:00:01Z", credential_scopes: [a] }
      - { kind: prompt }
    expect: [{ count: 1 }]
`)
    expect(errors).toEqual([])
    expect(warnings).toEqual([])
    const [rule] = rules
    expect(rule.dedup.windowMs).toBe(3_600_000)
    expect(rule.frameworks).toEqual(['owasp_agentic:ASI01', 'mitre_atlas:AML.T0051'])
    expect(rule.tests[0].events.map((e) => [e.ts, e.task_id, e.tenant_id, e.event_id])).toEqual([
      [Date.parse('2026-01-01T00:00:01Z'), 't1', 'acme', 'e1'],
      [1000, 't1', 'acme', 'e2'],
    ])
  })

  it('reports YAML syntax errors at their line', () => {
    const { errors } = parse(`${BASE}tags: [a, b\nrunbook: x\n`)
    expect(errors[0].message).toMatch(/^YAML/)
    expect(errors[0].line).toBeGreaterThanOrEqual(6)
  })

  it('maps a JSONata error inside a block scalar to its file line and column', () => {
    const text = `${BASE}when: >-\n  event.tool_name = "a"\n    and event.x = = 3\n`
    const { errors } = parse(text)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ file: 'r.yaml', line: 8, rule_id: 'ok-rule' })
    expect(errors[0].message).toMatch(/^when: JSONata/)
    expect(text.split('\n')[7].slice(errors[0].col - 1)).toMatch(/^= 3/)
  })

  it('maps a JSONata error in a quoted scalar to its column', () => {
    const { errors } = parse(BASE.replace(`summary: '"x"'`, `summary: '"x" & ('`))
    expect(errors[0]).toMatchObject({ line: 5 })
    expect(errors[0].col).toBeGreaterThan(10)
  })

  it('rejects unknown fields, kinds, bad durations, severities and a missing summary', () => {
    const { errors, rules } = parse(`id: Bad_Id
title: t
severity: urgent
on: [tool_invocation, tool_call]
dedup: { window: 10 minutes }
colour: red
`)
    expect(rules).toEqual([])
    const messages = errors.map((e) => `${e.line}:${e.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^1:id "Bad_Id" must be kebab-case/),
        expect.stringMatching(/^3:severity must be one of/),
        expect.stringMatching(/^4:unknown event kind "tool_call"/),
        expect.stringMatching(/^5:window: invalid duration/),
        expect.stringMatching(/^6:unknown field "colour"/),
        expect.stringMatching(/summary is required/),
      ]),
    )
  })

  it('rejects two correlation forms in one rule and incomplete absences', () => {
    const both = parse(`${BASE}threshold: { count: 2, window: 1m }
absence: { after: { on: [prompt] }, expect: { on: [prompt] }, within: 1m }
`)
    expect(both.errors.map((e) => `${e.line}:${e.message}`)).toEqual(['7:threshold, absence are mutually exclusive'])
    const incomplete = parse(`${BASE}absence: { after: { on: [prompt] }, expect: { on: [prompt] } }\n`)
    expect(incomplete.errors.map((e) => e.message)).toEqual(['absence needs exactly one of within, until: task_end'])
  })

  it('warns about expired exceptions and fields that never exist for the kinds', () => {
    const { warnings, errors } = parse(`id: w
title: t
severity: low
on: [credential_issued]
when: event.tool_name = "x"
summary: '"x"'
exceptions:
  - { name: old, when: 'true', expires: '2026-01-01T00:00:00Z' }
`)
    expect(errors).toEqual([])
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/exception "old" expired/),
      expect.stringMatching(/event.tool_name, which is always empty for credential_issued/),
    ])
    expect(warnings.map((w) => w.line)).toEqual([8, 5])
  })

  it('knows a tool result only exists on tool events', () => {
    const warned = (on: string) =>
      parse(`id: w\ntitle: t\nseverity: low\non: [${on}]\nwhen: event.tool_result != ""\nsummary: '"x"'\n`).warnings.map((w) => w.message)
    expect(warned('credential_revoked')).toEqual([expect.stringMatching(/event.tool_result, which is always empty for credential_revoked/)])
    expect(warned('tool_invocation')).toEqual([])
  })

  it('rejects duplicate ids across files and reports unused exceptions in validateRules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-'))
    await writeFile(join(dir, 'a.yaml'), BASE)
    await writeFile(
      join(dir, 'b.yml'),
      `- ${BASE.replace(/\n(?=.)/g, '\n  ')}
- id: other
  title: t
  severity: low
  on: [prompt]
  summary: '"p"'
  exceptions: [{ name: never-used, when: 'event.agent_id = "nobody"' }]
  tests: [{ name: fires, events: [{ kind: prompt }], expect: [{ count: 1 }] }]
`,
    )
    const set = await loadRules(dir, { now: NOW })
    expect(set.rules.map((r) => r.id)).toEqual(['ok-rule', 'other'])
    expect(set.errors).toEqual([expect.objectContaining({ rule_id: 'ok-rule', message: expect.stringMatching(/duplicate rule id/) })])
    const report = await validateRules(dir, { now: NOW })
    expect(report.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/"never-used" is never exercised/)])
  })

  it('finds the built-in rules directory at the package root', () => {
    expect(builtinRulesDir()).toBe(join(import.meta.dirname, '..', '..', 'rules'))
  })
})
