/**
 * The privpath process, composed from its roles: collector (OTLP receiver, WAL, pipeline), writer
 * (bus → ClickHouse), detector (bus → alerts) and api (queries), on one bus and one HTTP server.
 *
 * In: validated configuration and telemetry. Out: a listening server and `stop()`, which shuts
 * down in dependency order: stop accepting HTTP, drain the collector into the bus, stop the
 * detector, flush the writer, close the bus and the store.
 * Not here: argument parsing and signals (commands/up.ts).
 */
import { join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { queryApi, type ApiQueries, type Readiness } from '../api/index.js'
import { getCredential, getTask, listAlerts, listRules, listTasks } from '../api/queries/index.js'
import { startCollector, type Collector } from '../collector/index.js'
import { startDistributedCollector } from '../collector/distributed/index.js'
import { createAuthenticator, isLoopbackHost } from '../core/auth.js'
import type { Bus } from '../core/bus/bus.js'
import { createBus } from '../core/bus/index.js'
import { KafkaBus } from '../core/bus/kafka.js'
import type { Config } from '../core/config/schema.js'
import type { PrivpathEvent } from '../core/event.js'
import { PrivpathError } from '../core/errors.js'
import { createStoreClient, isEmbedded, migrate, recordLoadedRules, type ClickHouseClient } from '../core/store/index.js'
import type { Telemetry } from '../core/telemetry.js'
import { startWriter, type Writer } from '../writer/index.js'
import { clickhouseHistory, startDetector as startDetectorService } from '../detector/index.js'
import { startDelivery } from '../detector/sinks/index.js'
import { ADMIN_TENANT } from '../core/auth.js'
import { classify } from '../core/classify.js'
import { consolePlugin } from '../console/server/plugin.js'
import { loadedRule, recordRules } from './loaded-rules.js'

/** A running role the app only needs to ask for readiness and to stop. */
export interface RoleHandle {
  ready(): boolean
  stop(): Promise<void>
  /** Re-reads the rule files (detector role); an invalid edit keeps the running rules. */
  reloadRules?(): Promise<{ ok: boolean }>
}

export interface RoleContext {
  config: Config
  bus: Bus
  client: ClickHouseClient | undefined
  telemetry: Telemetry
}

export interface AppOptions {
  config: Config
  telemetry: Telemetry
  /** Builds the bus for `bus.kind`; the default supports `memory` only. */
  createBus?: (config: Config['bus'], telemetry: Telemetry) => Bus | Promise<Bus>
  /** Starts the detector role (rules + alert delivery); default: the detector service over the store's history. */
  startDetector?: (context: RoleContext) => Promise<RoleHandle & { routes?: FastifyPluginAsync }>
}

export interface App {
  server: FastifyInstance
  /** Base URL the server listens on, e.g. http://127.0.0.1:4318. */
  url: string
  port: number
  bus: Bus
  client: ClickHouseClient | undefined
  collector: Collector | undefined
  readiness(): Readiness
  /** What SIGHUP does: reload the detector's rules, when this process runs the detector. */
  reloadRules(): Promise<{ ok: boolean }>
  stop(): Promise<void>
}

/** The bus `bus.kind` names: in process (embedded default) or Kafka (roles in separate processes). */
export function defaultBus(config: Config['bus'], telemetry: Telemetry): Bus {
  return createBus(config, telemetry)
}

export async function startApp(options: AppOptions): Promise<App> {
  const { config, telemetry } = options
  const logger = telemetry.logger
  const roles = new Set(config.roles)
  const auth = createAuthenticator(config.auth)
  if (!auth.enabled && !isLoopbackHost(config.server.host)) {
    logger.warn(
      { host: config.server.host },
      'SECURITY: listening on a non-loopback address WITHOUT tenant keys: anyone who can reach this port can send telemetry and read every tenant. Set auth.tenant_keys or PRIVPATH_TENANT_KEYS.',
    )
  }

  const stops: Array<{ name: string; stop: () => Promise<void> }> = []
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.error({ err, role: name }, 'shutdown step failed'))
    }
  }

  try {
    const bus = await (options.createBus ?? defaultBus)(config.bus, telemetry)
    stops.push({ name: 'bus', stop: () => bus.close() })

    let client: ClickHouseClient | undefined
    let migrated = false
    if (roles.has('writer') || roles.has('api')) {
      client = createStoreClient(config.store)
      const store = client
      stops.push({ name: 'store', stop: () => store.close() })
      await migrate(client, { database: config.store.database, cluster: config.store.cluster, eventsTtlDays: config.store.events_ttl_days })
      migrated = true
      if (roles.has('detector') || roles.has('api')) await recordRules(client, config, telemetry)
    }

    if (roles.has('writer') && client) {
      // Embedded chDB runs one statement per connection at a time: the writer's events and alerts
      // get connections of their own, so an alert never waits for an events insert and the API's
      // reads wait for neither. A server's HTTP pool already runs them side by side.
      const connection = (purpose: string): ClickHouseClient => {
        const own = createStoreClient(config.store)
        stops.push({ name: `store (${purpose})`, stop: () => own.close() })
        return own
      }
      const embedded = isEmbedded(config.store)
      const writer: Writer = await startWriter({
        bus,
        client: embedded ? connection('writer events') : client,
        alertClient: embedded ? connection('writer alerts') : client,
        database: config.store.database,
        telemetry,
        batchRows: config.store.insert_batch_rows,
        flushMs: config.store.insert_flush_ms,
        deadLetterDir: join(config.store.data_dir, 'dead-letter'),
      })
      stops.push({ name: 'writer', stop: () => writer.stop() })
    }

    // Before the collector: the in-process bus only delivers to groups already subscribed.
    let detector: (RoleHandle & { routes?: FastifyPluginAsync }) | undefined
    if (roles.has('detector')) {
      const started = await (options.startDetector ?? defaultDetector)({ config, bus, client, telemetry })
      detector = started
      stops.push({ name: 'detector', stop: () => started.stop() })
    }

    let collector: Collector | undefined
    // What the HTTP server mounts: the embedded collector (WAL) or, on Kafka, the distributed one.
    let ingest: { plugin: Collector['plugin']; isReplayed(): boolean } | undefined
    if (roles.has('collector') && bus.kind === 'kafka') {
      const started = await startDistributedCollector({ config, bus, auth, telemetry })
      ingest = started
      stops.push({ name: 'collector', stop: () => started.stop() })
    } else if (roles.has('collector')) {
      const started = await startCollector({ config, dataDir: config.store.data_dir, bus, auth, telemetry })
      collector = started
      ingest = started
      stops.push({ name: 'collector', stop: () => started.stop() })
    }

    const readiness = (): Readiness => {
      const checks: Record<string, boolean> = {}
      if (client) checks.store = migrated
      if (ingest) checks.wal_replayed = ingest.isReplayed()
      if (detector) checks.detector = detector.ready()
      return { ready: Object.values(checks).every(Boolean), checks }
    }

    // Request logs are info level; the HTTP child logs warnings and errors only.
    const server = Fastify({ loggerInstance: logger.child({ component: 'http' }, { level: 'warn' }), forceCloseConnections: 'idle' })
    if (ingest) await server.register(ingest.plugin)
    const deliveryRoutes = detector?.routes
    if (deliveryRoutes) {
      // Delivery inspection and redelivery are operator actions: admin key only when keys are on.
      await server.register(async (scope) => {
        scope.addHook('onRequest', async (request) => {
          const caller = auth.authenticate(request.headers.authorization)
          if (caller.authenticated && caller.tenant !== ADMIN_TENANT) {
            throw new PrivpathError('PP_ERR_UNAUTHORIZED', 'delivery endpoints need an admin key (tenant "*")')
          }
        })
        scope.setErrorHandler((error, request, reply) => {
          const classified = classify(error)
          if (classified.status >= 500) request.log.error({ err: error }, 'delivery request failed')
          void reply.code(classified.status).send({ code: classified.code, message: classified.message })
        })
        await scope.register(deliveryRoutes)
      })
    }
    await server.register(
      queryApi({
        queries: roles.has('api') && client ? storeQueries(client, config.store.database) : undefined,
        auth,
        registry: telemetry.registry,
        readiness,
      }),
    )
    if (roles.has('api') && client) await server.register(consolePlugin())
    await server.listen({ host: config.server.host, port: config.server.port })
    stops.push({ name: 'http', stop: () => server.close() })
    const address = server.server.address()
    const port = typeof address === 'object' && address ? address.port : config.server.port
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host
    logger.info({ host: config.server.host, port, roles: [...roles] }, 'privpath is up')

    return {
      server: server as unknown as FastifyInstance,
      url: `http://${host}:${port}`,
      port,
      bus,
      client,
      collector,
      readiness,
      reloadRules: async () => (detector?.reloadRules ? detector.reloadRules() : { ok: false }),
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}

/** The detector service (rules over the bus, state rebuilt from the store) and alert delivery to the configured sinks. */
async function defaultDetector(context: RoleContext): Promise<RoleHandle & { routes: FastifyPluginAsync }> {
  const { config, bus, client, telemetry } = context
  const running = startDetectorService({
    bus,
    config: config.detector,
    telemetry,
    loadHistory: client ? clickhouseHistory(client, config.store.database) : undefined,
    replayPartitions: bus.kind === 'kafka' && bus instanceof KafkaBus ? kafkaReplay(bus, config.detector.rebuild_lookback_ms) : undefined,
    consumeCredentials: bus.kind === 'kafka',
    onRulesReloaded: client ? (rules) => recordLoadedRules(client, config.store.database, rules.map(loadedRule)) : undefined,
  })
  try {
    await running.ready
  } catch (error) {
    await running.stop().catch(() => undefined)
    throw error
  }
  const delivery = startDelivery({ bus, config, dataDir: config.store.data_dir, telemetry })
  try {
    await delivery.ready
  } catch (error) {
    await Promise.allSettled([delivery.stop(), running.stop()])
    throw error
  }
  return {
    ready: () => true,
    routes: delivery.routes,
    reloadRules: () => running.reload(),
    async stop() {
      await running.stop()
      await delivery.stop()
    },
  }
}

/** Partitions a detector gains, replayed from the `events` topic over the lookback (0: all retained), when there is no store. */
function kafkaReplay(bus: KafkaBus, lookbackMs: number): (partitions: number[]) => AsyncIterable<PrivpathEvent> {
  return async function* (partitions) {
    yield* await bus.replay('events', 'detector', partitions, lookbackMs === 0 ? undefined : Date.now() - lookbackMs)
  }
}

function storeQueries(client: ClickHouseClient, database: string): ApiQueries {
  return {
    listTasks: async (params, scope) =>
      (
        await listTasks(
          client,
          database,
          { tenant: params.tenant, since: params.since, until: params.until, limit: params.limit, hasAlerts: params.has_alerts },
          scope,
        )
      ).tasks,
    getTask: async (id, scope, tenant) => (await getTask(client, database, id, scope, { tenant })) ?? undefined,
    getCredential: async (id, scope) => (await getCredential(client, database, id, scope)) ?? undefined,
    listAlerts: async (params, scope) =>
      (
        await listAlerts(
          client,
          database,
          {
            tenant: params.tenant,
            since: params.since,
            until: params.until,
            rule: params.rule,
            task: params.task,
            severity: params.severity as never,
            limit: params.limit,
          },
          scope,
        )
      ).alerts,
    listRules: async (scope) => (await listRules(client, database, scope)).rules,
  }
}
