/**
 * What Grafana and the ClickHouse datasource plugin (grafana-clickhouse-datasource v4) do to a
 * panel's rawSql before ClickHouse sees it: template variables first (Grafana's frontend), then
 * the plugin's macros (its backend, pkg/macros). Used by the dashboard tests to run every panel's
 * SQL as Grafana would. In: SQL, a time range, an interval, variable values. Out: SQL.
 * Not here: variable formats (`${var:csv}`...), multi-value variables, $__conditionalAll, $__table.
 */

export interface MacroContext {
  /** Time range, epoch ms. */
  from: number
  to: number
  /** The panel's computed interval, ms. */
  intervalMs: number
  /** Template variable values by name (already resolved, e.g. an "All" value). */
  variables: Record<string, string>
}

const seconds = (ms: number): number => Math.floor(ms / 1000)
const dateTime = (ms: number): string => `toDateTime(${seconds(ms)})`
const dateTime64 = (ms: number): string => `fromUnixTimestamp64Milli(${Math.floor(ms)})`
const date = (ms: number): string => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`

type Macro = (args: string[], ctx: MacroContext) => string

function oneArg(name: string, fn: (column: string, ctx: MacroContext) => string): Macro {
  return (args, ctx) => {
    if (args.length !== 1 || args[0] === '') throw new Error(`$__${name}: expected 1 argument, received ${args.length}`)
    return fn(args[0], ctx)
  }
}

const intervalSeconds = (ctx: MacroContext): number => Math.max(Math.floor(ctx.intervalMs / 1000), 1)

/** The plugin's macros, by name; the ones taking a column need parentheses. */
const MACROS: Record<string, Macro> = {
  timeFilter: oneArg('timeFilter', (c, x) => `${c} >= ${dateTime(x.from)} AND ${c} <= ${dateTime(x.to)}`),
  timeFilter_ms: oneArg('timeFilter_ms', (c, x) => `${c} >= ${dateTime64(x.from)} AND ${c} <= ${dateTime64(x.to)}`),
  dateFilter: oneArg('dateFilter', (c, x) => `${c} >= ${date(x.from)} AND ${c} <= ${date(x.to)}`),
  timeInterval: oneArg('timeInterval', (c, x) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds(x)} second)`),
  timeInterval_ms: oneArg('timeInterval_ms', (c, x) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.max(Math.floor(x.intervalMs), 1)} millisecond)`),
  fromTime: (_a, x) => dateTime(x.from),
  toTime: (_a, x) => dateTime(x.to),
  fromTime_ms: (_a, x) => dateTime64(x.from),
  toTime_ms: (_a, x) => dateTime64(x.to),
  interval_s: (_a, x) => String(intervalSeconds(x)),
}

/** `${name}` and `$name` (not `$__…`, which are Grafana globals or plugin macros). */
export function interpolateVariables(sql: string, variables: Record<string, string>): string {
  return sql.replace(/\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string
    if (!(name in variables)) throw new Error(`undefined template variable ${whole}`)
    return variables[name]
  })
}

/** Splits macro arguments at top-level commas (a column expression may hold its own calls). */
function readArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0
  let current = ''
  const args: string[] = []
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i]
    if (ch === '(') {
      if (depth++ > 0) current += ch
    } else if (ch === ')') {
      if (--depth === 0) {
        args.push(current.trim())
        return { args: args.length === 1 && args[0] === '' ? [] : args, end: i + 1 }
      }
      current += ch
    } else if (ch === ',' && depth === 1) {
      args.push(current.trim())
      current = ''
    } else current += ch
  }
  throw new Error(`unbalanced parentheses after macro at ${open}`)
}

export function expandMacros(sql: string, ctx: MacroContext): string {
  let out = ''
  let i = 0
  const pattern = /\$__([A-Za-z_]+)/g
  for (let match = pattern.exec(sql); match; match = pattern.exec(sql)) {
    // The longest known macro name that the text starts with (timeFilter vs timeFilter_ms).
    const name = Object.keys(MACROS)
      .filter((known) => match![1].startsWith(known) && (match![1].length === known.length || !/[A-Za-z_]/.test(match![1][known.length])))
      .sort((a, b) => b.length - a.length)[0]
    if (name === undefined) throw new Error(`unknown macro $__${match[1]}`)
    out += sql.slice(i, match.index)
    let end = match.index + 3 + name.length
    let args: string[] = []
    if (sql[end] === '(') ({ args, end } = readArgs(sql, end))
    out += MACROS[name](args, ctx)
    i = end
    pattern.lastIndex = end
  }
  return out + sql.slice(i)
}

/** Variables, then macros: the order Grafana and the plugin apply them. */
export function renderPanelSql(sql: string, ctx: MacroContext): string {
  return expandMacros(interpolateVariables(sql, ctx.variables), ctx)
}
