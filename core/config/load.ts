/**
 * Loads configuration: defaults ← YAML file (`PRIVPATH_CONFIG` or `--config`) ← environment.
 * Invalid configuration throws a PrivpathError naming the setting (and the variable it came from).
 */
import { readFileSync } from 'node:fs'
import Value from 'typebox/value'
import { parse as parseYaml } from 'yaml'
import { PrivpathError } from '../errors.js'
import { expressionError } from '../expression/index.js'
import { type Config, ConfigSchema } from './schema.js'

type Env = Record<string, string | undefined>

interface EnvBinding {
  variable: string
  path: readonly string[]
  parse: (raw: string) => unknown
}

const text = (raw: string) => raw
const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const integer = (raw: string) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : raw)

const ENV_BINDINGS: readonly EnvBinding[] = [
  { variable: 'PRIVPATH_HOST', path: ['server', 'host'], parse: text },
  { variable: 'PRIVPATH_PORT', path: ['server', 'port'], parse: integer },
  { variable: 'PRIVPATH_GRPC_PORT', path: ['server', 'grpc_port'], parse: integer },
  { variable: 'PRIVPATH_PUBLIC_URL', path: ['server', 'public_url'], parse: text },
  { variable: 'PRIVPATH_DATA_DIR', path: ['store', 'data_dir'], parse: text },
  { variable: 'PRIVPATH_CLICKHOUSE_URL', path: ['store', 'clickhouse_url'], parse: text },
  { variable: 'PRIVPATH_CLICKHOUSE_USER', path: ['store', 'username'], parse: text },
  { variable: 'PRIVPATH_CLICKHOUSE_PASSWORD', path: ['store', 'password'], parse: text },
  { variable: 'PRIVPATH_CLICKHOUSE_DATABASE', path: ['store', 'database'], parse: text },
  { variable: 'PRIVPATH_TENANT_KEYS', path: ['auth', 'tenant_keys'], parse: list },
  { variable: 'PRIVPATH_TENANT_KEYS_FILE', path: ['auth', 'tenant_keys_file'], parse: text },
  { variable: 'PRIVPATH_RULES_DIR', path: ['detector', 'rules_dir'], parse: text },
  { variable: 'PRIVPATH_DECISION_MODE', path: ['decision', 'mode'], parse: text },
  { variable: 'PRIVPATH_POLICIES_DIR', path: ['decision', 'policies_dir'], parse: text },
  { variable: 'PRIVPATH_BUS', path: ['bus', 'kind'], parse: text },
  { variable: 'PRIVPATH_KAFKA_BROKERS', path: ['bus', 'kafka', 'brokers'], parse: list },
  { variable: 'PRIVPATH_KAFKA_TOPIC_PREFIX', path: ['bus', 'kafka', 'topic_prefix'], parse: text },
  { variable: 'PRIVPATH_ROLES', path: ['roles'], parse: list },
  { variable: 'PRIVPATH_LOG_LEVEL', path: ['log_level'], parse: text },
]

/**
 * Quick alert setup: each variable fills a field of the sink it names, creating that sink when the
 * file has none of that name. A sink created this way joins the default route (every sink) when no
 * routes are configured, or gets a route of its own (`env-<sink>`, every alert) when some are.
 */
const ALERT_SINK_ENV: ReadonlyArray<{ variable: string; sink: string; type: 'slack' | 'webhook'; field: 'url' | 'secret' }> = [
  { variable: 'PRIVPATH_SLACK_WEBHOOK_URL', sink: 'slack', type: 'slack', field: 'url' },
  { variable: 'PRIVPATH_WEBHOOK_URL', sink: 'webhook', type: 'webhook', field: 'url' },
  { variable: 'PRIVPATH_WEBHOOK_SECRET', sink: 'webhook', type: 'webhook', field: 'secret' },
]

function applyAlertSinkEnv(raw: Record<string, unknown>, env: Env, origin: Map<string, string>): void {
  for (const binding of ALERT_SINK_ENV) {
    const value = env[binding.variable]
    if (value === undefined || value === '') continue
    if (raw.alerts === undefined) raw.alerts = {}
    const alerts = raw.alerts as Record<string, unknown>
    if (typeof alerts !== 'object' || alerts === null) return
    if (alerts.sinks === undefined) alerts.sinks = []
    if (!Array.isArray(alerts.sinks)) return
    const sinks = alerts.sinks as Array<Record<string, unknown>>
    let index = sinks.findIndex((sink) => sink?.name === binding.sink)
    if (index === -1) {
      index = sinks.push({ name: binding.sink, type: binding.type }) - 1
      const routes = alerts.routes
      if (Array.isArray(routes) && routes.length > 0) routes.push({ name: `env-${binding.sink}`, sinks: [binding.sink] })
    }
    sinks[index][binding.field] = value
    origin.set(`/alerts/sinks/${index}/${binding.field}`, binding.variable)
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]] = value
}

function readConfigFile(file: string): Record<string, unknown> {
  let raw: string
  try {
    raw = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new PrivpathError('PP_ERR_CONFIG_FILE', `cannot read config file ${file}: ${(cause as Error).message}`, { cause })
  }
  let doc: unknown
  try {
    doc = parseYaml(raw)
  } catch (cause) {
    throw new PrivpathError('PP_ERR_CONFIG_FILE', `config file ${file} is not valid YAML: ${(cause as Error).message}`, { cause })
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PrivpathError('PP_ERR_CONFIG_FILE', `config file ${file} must hold a mapping at its top level`)
  }
  return doc as Record<string, unknown>
}

export interface LoadOptions {
  env?: Env
  file?: string
  /** Settings that win over file and environment (command-line flags). */
  overrides?: Array<{ path: readonly string[]; value: unknown }>
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env
  const file = options.file ?? env.PRIVPATH_CONFIG
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {}
  const origin = new Map<string, string>()
  for (const binding of ENV_BINDINGS) {
    const value = env[binding.variable]
    if (value === undefined || value === '') continue
    setPath(raw, binding.path, binding.parse(value))
    origin.set('/' + binding.path.join('/'), binding.variable)
  }
  applyAlertSinkEnv(raw, env, origin)
  for (const { path, value } of options.overrides ?? []) setPath(raw, path, value)
  if (raw.bus === undefined && env.PRIVPATH_KAFKA_BROKERS && !env.PRIVPATH_BUS) setPath(raw, ['bus', 'kind'], 'kafka')
  return validateConfig(raw, origin)
}

/** Settings valid one by one that do not work together. */
function crossChecks(config: Config): string[] {
  const problems: string[] = []
  if (config.collector.max_queued_bytes < config.server.max_body_bytes) {
    // Else a request the server accepts could wait for an empty queue, which steady traffic may never leave.
    problems.push(
      `collector.max_queued_bytes (${config.collector.max_queued_bytes}) must be at least server.max_body_bytes (${config.server.max_body_bytes})`,
    )
  }
  const opaResult = config.collector.opa_result_expression
  const problem = opaResult.trim() === '' ? undefined : expressionError(opaResult)
  if (problem) {
    // jsonata's position is the 1-based character that ends the offending token
    const at = problem.position === undefined ? '' : ` at character ${problem.position}`
    problems.push(`collector.opa_result_expression: not a valid JSONata expression${at}: ${problem.message}`)
  }
  return problems
}

export function validateConfig(raw: unknown, origin: ReadonlyMap<string, string> = new Map()): Config {
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw))
  const problems: string[] = []
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    if (error.keyword === 'boolean') continue
    const params = error.params as { additionalProperties?: string[] }
    const base = error.instancePath.replace(/^\//, '').replaceAll('/', '.')
    if (params.additionalProperties) {
      for (const name of params.additionalProperties) problems.push(`${base ? base + '.' : ''}${name}: unknown setting`)
      continue
    }
    const from = origin.get(error.instancePath.replace(/\/\d+$/, ''))
    problems.push(`${base || '(root)'}${from ? ` (from ${from})` : ''}: ${error.message}`)
  }
  if (problems.length === 0) problems.push(...crossChecks(withDefaults as Config))
  if (problems.length > 0) {
    throw new PrivpathError('PP_ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
  return withDefaults as Config
}
