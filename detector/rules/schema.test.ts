import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Settings } from 'typebox/system'
import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments, parseDocument } from 'yaml'
import { builtinRulesDir, parseRuleText } from './load.js'
import { fieldMessages } from './messages.js'
import { RuleSchema } from './schema.js'
import { schemaProblems } from './schema-problems.js'

interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  anyOf?: SchemaNode[]
}

/** Paths (`*` for list items) of every field that can be wrong and of every mapping inside a list. */
function fieldPaths(schema: SchemaNode, path = ''): string[] {
  const branches = (schema.anyOf ?? [schema]).flatMap((branch) => {
    const properties = Object.entries(branch.properties ?? {})
      // Type.Unknown(): any value will do
      .filter(([, s]) => Object.keys(s).length > 0)
      .flatMap(([key, s]) => [`${path}/${key}`, ...fieldPaths(s, `${path}/${key}`)])
    const item = branch.items
    const items = item === undefined ? [] : [...(item.type === 'object' ? [`${path}/*`] : []), ...fieldPaths(item, `${path}/*`)]
    return [...properties, ...items]
  })
  return [...new Set(branches)]
}

describe('RuleSchema', () => {
  it('has messages of its own for every field, so no error falls back to its parent', () => {
    const paths = fieldPaths(RuleSchema as SchemaNode)
    expect(paths).toContain('/tests/*/expect/*/severity')
    expect(paths).toContain('/sequence/steps/*/on')
    expect(paths.filter((p) => fieldMessages(p) === undefined)).toEqual([])
  })

  it('matches every rule of the built-in pack as written', () => {
    const dir = builtinRulesDir()
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
    expect(files.length).toBeGreaterThanOrEqual(18)
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const value: unknown = doc.toJSON()
        for (const rule of Array.isArray(value) ? value : [value]) {
          expect({ file, errors: Value.Errors(RuleSchema, rule).map((e) => `${e.instancePath} ${e.message}`) }).toEqual({ file, errors: [] })
        }
      }
    }
  })

  it('accepts the example rule of docs/rules.md', () => {
    const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'rules.md'), 'utf8')
    const example = /```yaml\n([\s\S]*?)```/.exec(docs)?.[1] ?? ''
    expect(parseDocument(example).toJSON()).toMatchObject({ id: 'credential-reuse-across-tasks' })
    const set = parseRuleText('docs/rules.md', example, { now: Date.parse('2026-06-01T00:00:00Z') })
    expect(set.errors).toEqual([])
    expect(set.rules).toHaveLength(1)
  })

  it('leaves TypeBox error limit as it found it for other callers', () => {
    const before = Settings.Get().maxErrors
    expect(schemaProblems({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 }).length).toBeGreaterThan(before)
    expect(Settings.Get().maxErrors).toBe(before)
  })
})
