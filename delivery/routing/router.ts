/**
 * Routes: which alerts go to which sinks. A route matches when every condition it sets holds —
 * minimum severity, tenant list, any of its tags, a JSONata expression over the alert — and fans
 * out to its named sinks. With no routes configured, one default route sends everything to every
 * sink. Routes are checked at start: an unknown sink or a bad expression is an error naming it.
 * Expressions are the rules' (core/expression): privpath's functions (`$glob`, `$ms`, …), compiled
 * to synchronous JavaScript when they stay inside the compiled subset, else interpreted within
 * `alerts.route_timeout_ms`.
 */
import type { Logger } from 'pino'
import { type Alert, severityRank } from '../../core/alert.js'
import type { RouteConfig, SinkConfig } from '../../core/config/schema.js'
import { PrivpathError } from '../../core/errors.js'
import { type Expression, expressionError, NeedsInterpreter, parseExpression } from '../../core/expression/index.js'

export interface CompiledRoute {
  config: RouteConfig
  expression: Expression | undefined
}

export interface RouterOptions {
  /** Budget of one `when` evaluation on the interpreter (`alerts.route_timeout_ms`). */
  timeoutMs: number
  logger?: Logger
  /** False keeps every `when` on the interpreter, the reference semantics the compiled code follows. */
  compile?: boolean
}

const DEFAULT_ROUTE = 'default'

function invalid(message: string): PrivpathError {
  return new PrivpathError('PP_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${message}`)
}

/** What a `when` result means for the route; unchanged from when routes used jsonata directly. */
function holds(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 && value.some(Boolean) : Boolean(value)
}

export class Router {
  private constructor(
    readonly routes: readonly CompiledRoute[],
    private readonly logger: Logger | undefined,
  ) {}

  static compile(routes: readonly RouteConfig[], sinks: readonly Pick<SinkConfig, 'name'>[], options: RouterOptions): Router {
    const sinkNames = new Set(sinks.map((s) => s.name))
    const effective: RouteConfig[] =
      routes.length > 0
        ? [...routes]
        : sinks.length > 0
          ? [{ name: DEFAULT_ROUTE, min_severity: 'info', tenants: [], tags: [], when: '', sinks: [...sinkNames], rate_per_minute: 0 }]
          : []
    const seen = new Set<string>()
    const compiled = effective.map((route, index) => {
      const where = `alerts.routes[${index}] "${route.name}"`
      if (seen.has(route.name)) throw invalid(`${where}: duplicate route name`)
      seen.add(route.name)
      for (const sink of route.sinks) {
        if (!sinkNames.has(sink)) {
          const known = [...sinkNames].join(', ') || 'none'
          throw invalid(`${where}: unknown sink "${sink}" (configured sinks: ${known})`)
        }
      }
      if (route.when.trim() === '') return { config: route, expression: undefined }
      const problem = expressionError(route.when)
      if (problem) {
        // jsonata's position is the 1-based character that ends the offending token
        const at = problem.position === undefined ? '' : ` at character ${problem.position}`
        throw invalid(`${where}.when: not a valid JSONata expression${at}: ${problem.message}`)
      }
      return { config: route, expression: parseExpression(route.when, { timeoutMs: options.timeoutMs, compile: options.compile }) }
    })
    return new Router(compiled, options.logger)
  }

  /** Routes whose conditions all hold for this alert, in configuration order. */
  async match(alert: Alert): Promise<CompiledRoute[]> {
    const matched: CompiledRoute[] = []
    for (const route of this.routes) {
      const result = this.matches(route, alert)
      // only interpreted expressions cost a promise
      if (typeof result === 'boolean' ? result : await result) matched.push(route)
    }
    return matched
  }

  private matches(route: CompiledRoute, alert: Alert): boolean | Promise<boolean> {
    const { config, expression } = route
    if (severityRank(alert.severity) < severityRank(config.min_severity)) return false
    if (config.tenants.length > 0 && !config.tenants.includes(alert.tenant_id)) return false
    if (config.tags.length > 0 && !config.tags.some((tag) => alert.tags.includes(tag))) return false
    if (!expression) return true
    try {
      if (expression.sync) {
        try {
          // The compiled subset has no lambdas, recursion or ranges: it ends within the alert's size, so no budget is needed.
          return holds(expression.sync(alert, {}))
        } catch (error) {
          if (!(error instanceof NeedsInterpreter)) throw error
        }
      }
      return expression.interpret(alert, {}).then(holds, (error: unknown) => this.skip(route, alert, error))
    } catch (error) {
      return this.skip(route, alert, error)
    }
  }

  /** A `when` that fails or runs out of time skips its route for this alert; delivery goes on. */
  private skip({ config }: CompiledRoute, alert: Alert, error: unknown): false {
    const { message, code } = error as { message?: string; code?: string }
    this.logger?.warn({ route: config.name, alert_id: alert.alert_id, error: message ?? String(error), code }, 'route expression failed; route skipped')
    return false
  }
}
