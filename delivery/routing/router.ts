/**
 * Routes: which alerts go to which sinks. A route matches when every condition it sets holds —
 * minimum severity, tenant list, any of its tags, a JSONata expression over the alert — and fans
 * out to its named sinks. With no routes configured, one default route sends everything to every
 * sink. Routes are checked at start: an unknown sink or a bad expression is an error naming it.
 */
import jsonata from 'jsonata'
import type { Logger } from 'pino'
import { type Alert, severityRank } from '../../core/alert.js'
import type { RouteConfig, SinkConfig } from '../../core/config/schema.js'
import { PrivpathError } from '../../core/errors.js'

export interface CompiledRoute {
  config: RouteConfig
  expression: jsonata.Expression | undefined
}

export const DEFAULT_ROUTE = 'default'

function invalid(message: string): PrivpathError {
  return new PrivpathError('PP_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${message}`)
}

export class Router {
  private constructor(
    readonly routes: readonly CompiledRoute[],
    private readonly logger: Logger | undefined,
  ) {}

  static compile(routes: readonly RouteConfig[], sinks: readonly Pick<SinkConfig, 'name'>[], logger?: Logger): Router {
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
      let expression: jsonata.Expression | undefined
      if (route.when.trim() !== '') {
        try {
          expression = jsonata(route.when)
        } catch (error) {
          throw invalid(`${where}.when: not a valid JSONata expression: ${(error as Error).message}`)
        }
      }
      return { config: route, expression }
    })
    return new Router(compiled, logger)
  }

  /** Routes whose conditions all hold for this alert, in configuration order. */
  async match(alert: Alert): Promise<CompiledRoute[]> {
    const matched: CompiledRoute[] = []
    for (const route of this.routes) {
      if (await this.matches(route, alert)) matched.push(route)
    }
    return matched
  }

  private async matches({ config, expression }: CompiledRoute, alert: Alert): Promise<boolean> {
    if (severityRank(alert.severity) < severityRank(config.min_severity)) return false
    if (config.tenants.length > 0 && !config.tenants.includes(alert.tenant_id)) return false
    if (config.tags.length > 0 && !config.tags.some((tag) => alert.tags.includes(tag))) return false
    if (!expression) return true
    try {
      const value: unknown = await expression.evaluate(alert)
      return Array.isArray(value) ? value.length > 0 && value.some(Boolean) : Boolean(value)
    } catch (error) {
      this.logger?.warn({ route: config.name, alert_id: alert.alert_id, error: (error as Error).message }, 'route expression failed; route skipped')
      return false
    }
  }
}
