/**
 * What the validator tells a rule author, as a table of small broken documents: each message and
 * its file line:col. Captured from the hand-written checker before the rule schema replaced it,
 * so a change in wording or position here is a change users see.
 */
import { describe, expect, it } from 'vitest'
import { parseRuleText } from './load.js'

const NOW = Date.parse('2026-06-01T00:00:00Z')

// five lines: id, title, severity, on, summary
const BASE = `id: ok-rule
title: t
severity: low
on: [tool_invocation]
summary: '"x"'
`
const without = (field: string) => BASE.split('\n').filter((l) => !l.startsWith(`${field}:`)).join('\n')
const replace = (field: string, line: string) => BASE.split('\n').map((l) => (l.startsWith(`${field}:`) ? line : l)).join('\n')
const RULE_FIELDS =
  '(allowed: id, title, description, severity, category, status, on, when, hold, enforce, enforce_mode, summary, dedup, exceptions, frameworks, runbook, tags, tests, threshold, sequence, absence)'

const CASES: Array<[name: string, yaml: string, errors: string[]]> = [
  ['rule that is not a mapping', `- just a string\n- [a, list]\n`, ['1:3 [] a rule must be a mapping', '2:3 [] a rule must be a mapping']],
  ['unknown field at top level', `${BASE}colour: red\nsize: 3\n`, [
    `6:1 [ok-rule] unknown field "colour" in rule ${RULE_FIELDS}`,
    `7:1 [ok-rule] unknown field "size" in rule ${RULE_FIELDS}`,
  ]],
  ['unknown field in dedup', `${BASE}dedup: { key: event.task_id, windw: 1m }\n`, [
    '6:30 [ok-rule] unknown field "windw" in dedup (allowed: key, window)',
  ]],
  ['unknown field in an exception', `${BASE}exceptions:\n  - { name: a, when: 'true', ownr: x }\n`, [
    '7:30 [ok-rule] unknown field "ownr" in exception (allowed: name, when, owner, expires)',
  ]],
  ['unknown framework', `${BASE}frameworks: { owasp: [X], mitre_atlas: [AML.T0051] }\n`, [
    '6:15 [ok-rule] unknown field "owasp" in frameworks (allowed: owasp_agentic, maestro, owasp_nhi, mitre_atlas)',
  ]],
  ['unknown field in threshold', `${BASE}threshold: { count: 2, window: 1m, per: x }\n`, [
    '6:36 [ok-rule] unknown field "per" in threshold (allowed: count, window, group_by)',
  ]],
  ['unknown field in sequence and in a step', `${without('on')}sequence:\n  within: 1m\n  order: strict\n  steps:\n    - { on: [prompt] }\n    - { on: [prompt], if: x }\n`, [
    '7:3 [ok-rule] unknown field "order" in sequence (allowed: by, within, steps)',
    '10:23 [ok-rule] unknown field "if" in sequence.steps[1] (allowed: on, when)',
  ]],
  ['unknown field in absence and absence.after', `${BASE}absence:\n  after: { on: [prompt], where: x }\n  expect: { on: [prompt] }\n  within: 1m\n  during: 1m\n`, [
    '10:3 [ok-rule] unknown field "during" in absence (allowed: by, after, expect, within, until)',
    '7:26 [ok-rule] unknown field "where" in absence.after (allowed: on, when)',
  ]],
  ['unknown field in a test and an expectation', `${BASE}tests:\n  - name: n\n    events: [{ kind: prompt }]\n    expect: [{ count: 1, sumary: x }]\n    extra: 1\n`, [
    '10:5 [ok-rule] unknown field "extra" in test (allowed: name, config, events, expect)',
    '9:26 [ok-rule] unknown field "sumary" in expectation (allowed: count, summary, summary_contains, task_id, severity, category)',
  ]],
  ['id missing', without('id'), ['1:1 [] id is required and must be a non-empty string']],
  ['id blank', replace('id', `id: '  '`), ['1:5 [  ] id is required and must be a non-empty string']],
  ['id not a string', replace('id', 'id: [a]'), ['1:5 [] id is required and must be a non-empty string']],
  ['id not kebab-case', replace('id', 'id: Bad_Id'), ['1:5 [Bad_Id] id "Bad_Id" must be kebab-case']],
  ['title missing', without('title'), ['1:1 [ok-rule] title is required and must be a non-empty string']],
  ['title empty', replace('title', 'title:'), ['2:7 [ok-rule] title is required and must be a non-empty string']],
  ['description not a string', `${BASE}description: [a]\n`, ['6:14 [ok-rule] description must be a string']],
  ['runbook not a string', `${BASE}runbook: { a: 1 }\n`, ['6:10 [ok-rule] runbook must be a string']],
  ['null description and runbook are absent', `${BASE}description:\nrunbook: ~\ntags: ~\nwhen: ~\n`, []],
  ['tags with a number', `${BASE}tags: [a, 1]\n`, ['6:7 [ok-rule] tags must be a list of strings']],
  ['tags a scalar', `${BASE}tags: a\n`, ['6:7 [ok-rule] tags must be a list of strings']],
  ['severity missing', without('severity'), ['1:1 [ok-rule] severity must be one of info, low, medium, high, critical']],
  ['severity unknown', replace('severity', 'severity: urgent'), ['3:11 [ok-rule] severity must be one of info, low, medium, high, critical']],
  ['severity a list', replace('severity', 'severity: [low]'), ['3:11 [ok-rule] severity must be one of info, low, medium, high, critical']],
  ['category unknown', `${BASE}category: finding\n`, ['6:11 [ok-rule] category must be one of incident, posture']],
  ['status unknown', `${BASE}status: done\n`, ['6:9 [ok-rule] status must be one of stable, test, experimental, deprecated']],
  ['status null', `${BASE}status:\n`, []],
  ['on missing', without('on'), ['1:1 [ok-rule] on must be a non-empty list of event kinds']],
  ['on empty', replace('on', 'on: []'), ['4:5 [ok-rule] on must be a non-empty list of event kinds']],
  ['on a number', replace('on', 'on: 5'), ['4:5 [ok-rule] on must be a non-empty list of event kinds']],
  ['on a single unknown kind', replace('on', 'on: tool_call'), ['4:5 [ok-rule] unknown event kind "tool_call"']],
  ['on a single known kind', replace('on', 'on: prompt'), []],
  ['on with unknown kinds', replace('on', 'on: [tool_invocation, tool_call, 1, prompt, toolz]'), [
    '4:23 [ok-rule] unknown event kind "tool_call"',
    '4:34 [ok-rule] unknown event kind "1"',
    '4:45 [ok-rule] unknown event kind "toolz"',
  ]],
  ['on a mapping', replace('on', 'on: { a: 1 }'), ['4:5 [ok-rule] on must be a non-empty list of event kinds']],
  ['when a list', `${BASE}when: [a]\n`, ['6:7 [ok-rule] when must be a JSONata expression (string)']],
  ['summary missing', without('summary'), ['1:1 [ok-rule] summary is required']],
  ['summary null', replace('summary', 'summary:'), ['1:1 [ok-rule] summary is required']],
  ['summary a mapping', replace('summary', 'summary: { a: 1 }'), ['5:10 [ok-rule] summary must be a JSONata expression (string)']],
  ['summary a number', replace('summary', 'summary: 42'), []],
  ['dedup a scalar', `${BASE}dedup: 10m\n`, ['6:8 [ok-rule] dedup must be a mapping { key, window }']],
  ['dedup null', `${BASE}dedup:\n`, ['6:7 [ok-rule] dedup must be a mapping { key, window }']],
  ['dedup key a list', `${BASE}dedup: { key: [a], window: 1m }\n`, ['6:15 [ok-rule] key must be a JSONata expression (string)']],
  ['dedup window invalid', `${BASE}dedup: { window: 10 minutes }\n`, [
    '6:18 [ok-rule] window: invalid duration "10 minutes" (use e.g. 30s, 10m, 1h, 1d)',
  ]],
  ['exceptions a scalar', `${BASE}exceptions: none\n`, ['6:13 [ok-rule] exceptions must be a list']],
  ['exception not a mapping', `${BASE}exceptions:\n  - just-a-name\n`, [
    '7:5 [ok-rule] an exception must be a mapping { name, when, owner?, expires? }',
  ]],
  ['exception name and when missing', `${BASE}exceptions:\n  - { owner: me }\n`, [
    '7:5 [ok-rule] name is required and must be a non-empty string',
    '7:5 [ok-rule] when is required',
  ]],
  ['exception when null, owner a list, expires a number', `${BASE}exceptions:\n  - name: a\n    when:\n    owner: [me]\n    expires: 5\n`, [
    '7:5 [ok-rule] when is required',
    '9:12 [ok-rule] owner must be a string',
    '10:14 [ok-rule] expires must be an RFC3339 date',
  ]],
  ['exception expires not a date', `${BASE}exceptions:\n  - { name: a, when: 'true', expires: someday }\n`, [
    '7:39 [ok-rule] expires must be an RFC3339 date',
  ]],
  ['frameworks a list', `${BASE}frameworks: [owasp_agentic]\n`, ['6:13 [ok-rule] frameworks must be a mapping of framework → ids']],
  ['frameworks ids a scalar', `${BASE}frameworks: { owasp_agentic: ASI01, maestro: ~ }\n`, [
    '6:30 [ok-rule] frameworks.owasp_agentic must be a list of ids',
  ]],
  ['frameworks ids with a mapping', `${BASE}frameworks:\n  owasp_nhi: [NHI1, 7, { a: 1 }, [b]]\n`, [
    '7:14 [ok-rule] frameworks.owasp_nhi must be a list of ids',
  ]],
  ['threshold a scalar', `${BASE}threshold: 5\n`, ['6:12 [ok-rule] threshold must be a mapping']],
  ['threshold count zero', `${BASE}threshold: { count: 0, window: 1m }\n`, ['6:21 [ok-rule] threshold.count must be an integer ≥ 1']],
  ['threshold count a string and window missing', `${BASE}threshold:\n  count: many\n`, [
    '7:10 [ok-rule] threshold.count must be an integer ≥ 1',
    '7:3 [ok-rule] window is required (a duration like 30s, 10m, 1h, 1d)',
  ]],
  ['threshold count missing', `${BASE}threshold: { window: 1m }\n`, ['6:12 [ok-rule] threshold.count must be an integer ≥ 1']],
  ['threshold count fractional', `${BASE}threshold: { count: 1.5, window: 1m }\n`, ['6:21 [ok-rule] threshold.count must be an integer ≥ 1']],
  ['threshold group_by a mapping', `${BASE}threshold: { count: 2, window: 1m, group_by: { a: 1 } }\n`, [
    '6:46 [ok-rule] group_by must be a JSONata expression (string)',
  ]],
  ['sequence steps too few', `${without('on')}sequence:\n  within: 1m\n  steps:\n    - { on: [prompt] }\n`, [
    '8:5 [ok-rule] sequence.steps must list at least 2 steps',
  ]],
  ['sequence steps not a list', `${without('on')}sequence:\n  within: 1m\n  steps: prompt\n`, [
    '7:10 [ok-rule] sequence.steps must list at least 2 steps',
  ]],
  ['sequence steps missing and within missing', `${without('on')}sequence:\n  by: event.task_id\n`, [
    '6:3 [ok-rule] sequence.steps must list at least 2 steps',
    '6:3 [ok-rule] within is required (a duration like 30s, 10m, 1h, 1d)',
  ]],
  ['sequence step not a mapping, step without on, step kind unknown', `${without('on')}sequence:\n  within: 1m\n  steps:\n    - prompt\n    - { when: 'true' }\n    - on: [prompt, tool_call]\n      when: [x]\n`, [
    '8:7 [ok-rule] sequence.steps[0] must be a mapping { on, when? }',
    '9:7 [ok-rule] on must be a non-empty list of event kinds',
    '10:20 [ok-rule] unknown event kind "tool_call"',
    '11:13 [ok-rule] when must be a JSONata expression (string)',
  ]],
  ['sequence within invalid', `${without('on')}sequence:\n  within: soon\n  steps: [{ on: [prompt] }, { on: [prompt] }]\n`, [
    '6:11 [ok-rule] within: invalid duration "soon" (use e.g. 30s, 10m, 1h, 1d)',
  ]],
  ['absence until not task_end', `${BASE}absence:\n  after: { on: [prompt] }\n  expect: { on: [prompt] }\n  until: later\n`, [
    '9:10 [ok-rule] absence.until must be task_end',
  ]],
  ['absence after a scalar, expect on missing', `${BASE}absence:\n  after: prompt\n  expect: { when: 'true' }\n  within: 1m\n`, [
    '7:10 [ok-rule] absence.after must be a mapping { on, when? }',
    '8:11 [ok-rule] on must be a non-empty list of event kinds',
  ]],
  ['absence a scalar', `${BASE}absence: later\n`, ['6:10 [ok-rule] absence must be a mapping']],
  ['tests a scalar', `${BASE}tests: none\n`, ['6:8 [ok-rule] tests must be a list']],
  ['test not a mapping', `${BASE}tests:\n  - just-a-name\n`, ['7:5 [ok-rule] a test must be a mapping { name, config?, events, expect }']],
  ['test name missing, events not a list, expect not a list', `${BASE}tests:\n  - events: prompt\n    expect: 1\n`, [
    '7:5 [ok-rule] name is required and must be a non-empty string',
    '7:13 [ok-rule] test "": events must be a list',
    '8:13 [ok-rule] test "": expect must be a list ([] = must not fire)',
  ]],
  ['test events missing', `${BASE}tests:\n  - name: n\n    expect: []\n`, ['7:5 [ok-rule] test "n": events must be a list']],
  ['test config with unknown settings', `${BASE}tests:\n  - name: n\n    config: { privileged_tools: [a], colour: red, size: 1 }\n    events: [{ kind: prompt }]\n    expect: []\n`, [
    '8:13 [ok-rule] test "n": unknown detector setting "colour"',
    '8:13 [ok-rule] test "n": unknown detector setting "size"',
  ]],
  ['test event fixture errors', `${BASE}tests:\n  - name: n\n    events:\n      - { kind: prompt, colour: red }\n      - { kind: tool_call }\n      - 5\n    expect: []\n`, [
    '9:7 [ok-rule] test "n": events[0].colour: unknown event field',
    '9:7 [ok-rule] test "n": events[1].kind: must be one of the event kinds, got "tool_call"',
    '9:7 [ok-rule] test "n": events[2]: must be a mapping',
  ]],
  ['expectation not a mapping (deep path)', `${BASE}tests:\n  - name: first\n    events: [{ kind: prompt }]\n    expect: []\n  - name: second\n    events: [{ kind: prompt }]\n    expect:\n      - { count: 1 }\n      - 1\n`, [
    '14:9 [ok-rule] test "second": an expectation must be a mapping',
  ]],
  ['correlation forms mutually exclusive', `${BASE}threshold: { count: 2, window: 1m }\nsequence: { within: 1m, steps: [{ on: [prompt] }, { on: [prompt] }] }\n`, [
    '7:11 [ok-rule] threshold, sequence are mutually exclusive',
  ]],
  ['absence with both within and until', `${BASE}absence: { after: { on: [prompt] }, expect: { on: [prompt] }, within: 1m, until: task_end }\n`, [
    '6:10 [ok-rule] absence needs exactly one of within, until: task_end',
  ]],
  ['JSONata error in an exception', `${BASE}exceptions: [{ name: a, when: 'event.x = = 1' }]\n`, [
    '6:42 [ok-rule] when: JSONata: The symbol "=" cannot be used as a unary operator',
  ]],
  ['many problems in one rule', `id: Bad_Id\ntitle: ''\nseverity: urgent\nstatus: done\non: [tool_call]\nsummary: [x]\ndedup: { window: 10 minutes, size: 1 }\ncolour: red\n`, [
    `8:1 [Bad_Id] unknown field "colour" in rule ${RULE_FIELDS}`,
    '1:5 [Bad_Id] id "Bad_Id" must be kebab-case',
    '2:8 [Bad_Id] title is required and must be a non-empty string',
    '3:11 [Bad_Id] severity must be one of info, low, medium, high, critical',
    '4:9 [Bad_Id] status must be one of stable, test, experimental, deprecated',
    '5:6 [Bad_Id] unknown event kind "tool_call"',
    '6:10 [Bad_Id] summary must be a JSONata expression (string)',
    '7:30 [Bad_Id] unknown field "size" in dedup (allowed: key, window)',
    '7:18 [Bad_Id] window: invalid duration "10 minutes" (use e.g. 30s, 10m, 1h, 1d)',
  ]],
]

/**
 * Where the schema says more than the hand-written checker did (it stopped at the first problem of
 * a block, skipped the correlation form it did not use, took expectations unchecked) or points
 * better (it put a missing `absence.after` or `expect` at 1:1).
 */
const SINCE_THE_SCHEMA: Array<[name: string, yaml: string, errors: string[]]> = [
  ['absence.after missing', `${BASE}absence: { expect: { on: [prompt] }, within: 1m }\n`, [
    '6:10 [ok-rule] absence.after must be a mapping { on, when? }',
  ]],
  ['test expect missing', `${BASE}tests:\n  - name: n\n    events: [{ kind: prompt }]\n`, [
    '7:5 [ok-rule] test "n": expect must be a list ([] = must not fire)',
  ]],
  ['expectation values of the wrong type', `${BASE}tests:\n  - name: n\n    events: [{ kind: prompt }]\n    expect: [{ count: many, severity: urgent, summary: [x] }]\n`, [
    '9:23 [ok-rule] test "n": expect[0].count must be an integer ≥ 1',
    '9:39 [ok-rule] test "n": expect[0].severity must be one of info, low, medium, high, critical',
    '9:56 [ok-rule] test "n": expect[0].summary must be a string',
  ]],
  ['test config not a mapping', `${BASE}tests:\n  - name: n\n    config: abc\n    events: [{ kind: prompt }]\n    expect: []\n`, [
    '8:13 [ok-rule] test "n": config must be a mapping of detector settings',
  ]],
  ['a step of a sequence that also has too few steps', `${without('on')}sequence: { within: 1m, steps: [{ on: [tool_call] }] }\n`, [
    '5:32 [ok-rule] sequence.steps must list at least 2 steps',
    '5:40 [ok-rule] unknown event kind "tool_call"',
  ]],
  ['the second correlation form of a rule with two', `${BASE}threshold: { count: 2, window: 1m }\nabsence: { after: x }\n`, [
    '7:10 [ok-rule] threshold, absence are mutually exclusive',
    '7:10 [ok-rule] absence.expect must be a mapping { on, when? }',
    '7:19 [ok-rule] absence.after must be a mapping { on, when? }',
  ]],
]

const load = (yaml: string) => parseRuleText('r.yaml', yaml, { now: NOW })
const problems = (yaml: string) => load(yaml).errors.map((e) => `${e.line}:${e.col} [${e.rule_id}] ${e.message}`)

describe('rule file messages', () => {
  it.each(CASES)('%s', (_name, yaml, errors) => {
    // the order of one rule's errors is not part of the contract, their text and position are
    expect(problems(yaml).sort()).toEqual([...errors].sort())
  })

  it.each(SINCE_THE_SCHEMA)('since the schema: %s', (_name, yaml, errors) => {
    expect(problems(yaml).sort()).toEqual([...errors].sort())
  })

  it('does not load a rule whose runbook or tags are wrong (the old checker reported them and loaded it)', () => {
    const { rules, errors } = load(`${BASE}runbook: 5\ntags: [1]\n`)
    expect(errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual(['6:10 runbook must be a string', '7:7 tags must be a list of strings'])
    expect(rules).toEqual([])
  })

  it('reports every problem of a rule with many, past the 8 errors TypeBox stops at by default', () => {
    const yaml = BASE + Array.from({ length: 12 }, (_, i) => `extra_${i}: x\n`).join('')
    expect(problems(yaml)).toHaveLength(12)
  })
})
