/**
 * Loads rule files (`*.yaml`, `*.yml`) from one or more directories: each file holds one rule
 * or a list of rules. Returns the rules that validated, and every error and warning with
 * file:line:col. Duplicate ids across files are errors. `rules_dir: ''` means the built-in pack.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { packageRoot } from '../../core/package-root.js'
import { RuleChecker } from './validate.js'
import type { Rule, RuleProblem, RuleSet } from './types.js'

export interface LoadOptions {
  /** Per-evaluation budget for interpreted expressions (detector.rule_timeout_ms). */
  timeoutMs?: number
  /** Wall-clock "now" for expiry warnings; default Date.now(). */
  now?: number
}

/** The built-in `rules/` at the package root, found from this module so it works from dist/ too. */
export function builtinRulesDir(): string {
  return join(packageRoot(), 'rules')
}

export function resolveRulesDirs(rulesDir: string): string[] {
  return rulesDir.trim() === '' ? [builtinRulesDir()] : rulesDir.split(',').map((d) => resolve(d.trim()))
}

async function ruleFiles(dir: string): Promise<string[]> {
  const info = await stat(dir)
  if (info.isFile()) return [dir]
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(dir, e.name))
    .sort()
}

export function parseRuleText(file: string, text: string, options: LoadOptions = {}): RuleSet {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const checker = new RuleChecker({ file, text, lines, timeoutMs: options.timeoutMs ?? 50, now: options.now ?? Date.now() })
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0])
      return { file, line: pos.line, col: pos.col, rule_id: '', message: `YAML: ${e.message.split('\n')[0]}` }
    })
    return { rules: [], errors, warnings: [] }
  }
  const root = doc.contents as Node | null
  const nodes = isSeq(root) ? (root.items as Node[]) : root ? [root] : []
  const rules = nodes.map((n) => checker.check(n)).filter((r): r is Rule => r !== undefined)
  return { rules, errors: checker.errors, warnings: checker.warnings }
}

export async function loadRules(dirs: string | string[], options: LoadOptions = {}): Promise<RuleSet> {
  const rules: Rule[] = []
  const errors: RuleProblem[] = []
  const warnings: RuleProblem[] = []
  for (const dir of Array.isArray(dirs) ? dirs : [dirs]) {
    let files: string[]
    try {
      files = await ruleFiles(dir)
    } catch (error) {
      errors.push({ file: dir, line: 0, col: 0, rule_id: '', message: `cannot read rules: ${(error as Error).message}` })
      continue
    }
    for (const file of files) {
      const set = parseRuleText(file, await readFile(file, 'utf8'), options)
      rules.push(...set.rules)
      errors.push(...set.errors)
      warnings.push(...set.warnings)
    }
  }
  const seen = new Map<string, Rule>()
  const unique: Rule[] = []
  for (const rule of rules) {
    const first = seen.get(rule.id)
    if (first) {
      errors.push({
        file: rule.file, line: rule.line, col: 1, rule_id: rule.id,
        message: `duplicate rule id "${rule.id}" (first defined in ${first.file}:${first.line})`,
      })
      continue
    }
    seen.set(rule.id, rule)
    unique.push(rule)
  }
  return { rules: unique, errors, warnings }
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line}:${p.col}${p.rule_id ? ` [${p.rule_id}]` : ''} ${p.message}`
}
