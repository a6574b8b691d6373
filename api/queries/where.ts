/**
 * Builds WHERE/HAVING clauses from fixed SQL fragments and named query parameters. User values
 * only ever travel as `{name:Type}` parameters; the fragments are constants of this module's callers.
 */
export class Conditions {
  private readonly parts: string[] = []
  readonly params: Record<string, unknown>

  constructor(params: Record<string, unknown> = {}) {
    this.params = params
  }

  /** Adds `fragment` with its parameter unless `value` is undefined. */
  add(fragment: string, name?: string, value?: unknown): this {
    if (name !== undefined) {
      if (value === undefined) return this
      this.params[name] = value
    }
    this.parts.push(fragment)
    return this
  }

  sql(keyword: 'WHERE' | 'HAVING' | 'AND'): string {
    return this.parts.length === 0 ? '' : `${keyword} ${this.parts.join(' AND ')}`
  }
}
