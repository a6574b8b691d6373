/**
 * Every Grafana panel query and template variable of dashboards/json, rendered as Grafana and the
 * ClickHouse plugin would send them (dashboards/macros.ts) for one time range and set of variables.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderPanelSql } from '../../dashboards/macros.js'

interface Dashboard {
  uid: string
  panels: Array<{ title: string; targets: Array<{ refId: string; rawSql: string }> }>
  templating: { list: Array<{ name: string; type: string; query: string }> }
}

export interface PanelQuery {
  /** `<dashboard uid> · <panel title>[/refId]`, or `<dashboard uid> · $<variable>`. */
  name: string
  sql: string
}

const DIR = join(import.meta.dirname, '../../dashboards/json')

export function panelQueries(range: { from: number; to: number }, variables: Record<string, string>): PanelQuery[] {
  const ctx = { ...range, intervalMs: Math.max(1000, Math.floor((range.to - range.from) / 1000)), variables }
  const out: PanelQuery[] = []
  const seen = new Set<string>()
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    const dashboard = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      // The same variable query on several dashboards is one query.
      if (seen.has(variable.query)) continue
      seen.add(variable.query)
      out.push({ name: `${dashboard.uid} · $${variable.name}`, sql: renderPanelSql(variable.query, ctx) })
    }
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        out.push({ name: `${dashboard.uid} · ${panel.title}${target.refId === 'A' ? '' : `/${target.refId}`}`, sql: renderPanelSql(target.rawSql, ctx) })
      }
    }
  }
  return out
}
