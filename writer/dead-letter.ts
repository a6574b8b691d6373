/**
 * Rows ClickHouse will never accept are set aside here instead of blocking the rows behind them:
 * one NDJSON file per table under the dead-letter directory, each line the original bus value
 * with the reason, so an operator can fix and re-publish them. Appends are awaited before the bus
 * delivery is committed; if the append fails, the delivery fails and the bus redelivers it.
 */
import { appendFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

export interface DeadLetter {
  table: string
  reason: string
  value: unknown
}

export class DeadLetterFile {
  private ready: Promise<unknown> | undefined

  constructor(readonly dir: string) {}

  pathFor(table: string): string {
    return join(this.dir, `${table}.ndjson`)
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return
    this.ready ??= mkdir(this.dir, { recursive: true })
    await this.ready
    const at = new Date().toISOString()
    const byTable = new Map<string, string[]>()
    for (const { table, reason, value } of letters) {
      const lines = byTable.get(table) ?? []
      lines.push(JSON.stringify({ dead_lettered_at: at, table, reason, value }))
      byTable.set(table, lines)
    }
    for (const [table, lines] of byTable) await appendFile(this.pathFor(table), `${lines.join('\n')}\n`)
  }
}
