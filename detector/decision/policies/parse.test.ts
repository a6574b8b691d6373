import { describe, expect, it } from 'vitest'
import { parsePolicyText } from './parse.js'

const parse = (text: string) => parsePolicyText('/p/guard.cedar', text)
/** The text at a problem's position, to check it points where it says. */
const at = (text: string, p: { line: number; col: number }) => text.split('\n')[p.line - 1].slice(p.col - 1)

describe('Cedar policy files', () => {
  it('reads ids, modes and reasons from annotations, with defaults', () => {
    const { policies, errors, warnings } = parse(`@id("no-injection")
@mode("shadow")
@reason("injected argument")
forbid (principal, action, resource) when { context.arguments_injected };

// no annotations
forbid (principal, action == Action::"payments.transfer", resource) when { !context.has_credential };
`)
    expect(errors).toEqual([])
    expect(warnings).toEqual([])
    expect(policies.map(({ id, effect, mode, reason, line }) => ({ id, effect, mode, reason, line }))).toEqual([
      { id: 'no-injection', effect: 'forbid', mode: 'shadow', reason: 'injected argument', line: 1 },
      { id: 'guard.cedar#2', effect: 'forbid', mode: 'enforce', reason: 'guard.cedar#2', line: 7 },
    ])
  })

  it('reports a syntax error at its line and column, counting characters, not bytes', () => {
    const text = `// règle de sécurité\npermit (principal, action, resource);\nforbid (principal, action, resource) when { context.tool == "é" && };\n`
    const { policies, errors } = parse(text)
    expect(policies).toEqual([])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ file: '/p/guard.cedar', line: 3, col: 68 })
    expect(at(text, errors[0])).toBe('};')
    expect(errors[0].message).toMatch(/^Cedar: unexpected token `}`: expected /)
  })

  it('does not split policies at a `;` inside a string or a comment', () => {
    const text = `// a comment; with "a quote
permit (principal, action == Action::"a;b", resource) when { context.tool == "x\\";y" };
forbid (principal, action, resource) when { context.injeted_seen };
`
    const { errors } = parse(text)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ line: 3, col: 45, rule_id: 'guard.cedar#2' })
    expect(at(text, errors[0])).toMatch(/^context\.injeted_seen/)
  })

  it('checks the context attributes a policy reads against PolicyInput, at their position', () => {
    const text = `permit (principal, action, resource);

@id("typo")
forbid (principal, action == Action::"db.drop", resource)
when {
  context.privileged &&
  context.injeted_seen
};
@id("nested")
forbid (principal, action, resource) when { context.credential.ttl < 30000 };
@id("types")
forbid (principal, action, resource) when { context.delegation_depth == "2" };
@id("entity")
forbid (principal == User::"alice", action, resource);
`
    const { policies, errors } = parse(text)
    expect(policies).toEqual([])
    expect(errors.map((e) => [e.rule_id, e.line, e.col])).toEqual([
      ['typo', 7, 3],
      ['nested', 10, 45],
      ['types', 12, 45],
      ['entity', 14, 22],
    ])
    expect(errors[0].message).toBe('Cedar: attribute `injeted_seen` in context not found (did you mean `injection_seen`?)')
    expect(at(text, errors[0])).toBe('context.injeted_seen')
    expect(errors[1].message).toContain('`credential.ttl`')
    expect(errors[2].message).toContain('Long and String are not compatible')
    expect(errors[3].message).toContain('User')
  })

  it('declares the actions policies name, so a policy scoped to a tool validates', () => {
    const { errors } = parse(`forbid (principal, action in [Action::"payments.transfer", Action::"payments.refund"], resource)
when { resource.tenant != context.tenant && principal.workload == "billing" && action != Action::"payments.void" };`)
    expect(errors).toEqual([])
  })

  it('rejects an unknown @mode, a shadow permit and ids it cannot use, at the annotation', () => {
    const text = `@reason("r")   @mode("shadw")
forbid (principal, action, resource);
@mode("shadow") permit (principal, action, resource);
@id("default-deny") forbid (principal, action, resource);
@id("  ") forbid (principal, action, resource);
`
    const { policies, errors } = parse(text)
    expect(policies).toEqual([])
    expect(errors.map((e) => [e.line, e.col, e.message])).toEqual([
      [1, 16, '@mode must be "enforce" or "shadow" (got "shadw")'],
      [3, 1, '@mode("shadow") is for forbid policies: a permit never denies'],
      [4, 1, '@id "default-deny" is reserved'],
      [5, 1, '@id must not be empty'],
    ])
  })

  it('rejects a template, at its slot', () => {
    const text = `permit (principal, action, resource);\nforbid (principal == ?principal, action, resource);\n`
    const { errors } = parse(text)
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toMatch(/template/)
    expect(at(text, errors[0])).toMatch(/^\?principal/)
  })

  it("keeps the validator's warnings as warnings", () => {
    const { policies, errors, warnings } = parse(`forbid (principal, action, resource) when { principal is Resource };`)
    expect(errors).toEqual([])
    expect(policies).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ line: 1, col: 1, rule_id: 'guard.cedar#1' })
    expect(warnings[0].message).toMatch(/impossible/)
  })

  it('accepts an empty file or one with only comments', () => {
    expect(parse('')).toEqual({ policies: [], errors: [], warnings: [] })
    expect(parse('// nothing yet\n')).toEqual({ policies: [], errors: [], warnings: [] })
  })
})
