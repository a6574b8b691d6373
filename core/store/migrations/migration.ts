import type { Ddl } from '../ddl.js'

/**
 * One schema step. `statements` must be idempotent on its own (IF NOT EXISTS), because a
 * migration interrupted between its statements and its `schema_migrations` record runs again.
 */
export interface Migration {
  version: number
  name: string
  statements(ddl: Ddl): string[]
}
