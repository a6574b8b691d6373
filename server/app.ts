/**
 * The privpath process, composed from its roles on one bus, one store, one HTTP server and one
 * gRPC server (when a role serves gRPC and server.grpc_port is not 0).
 * The roles start in the registry's order and stop in reverse: stop accepting gRPC and HTTP, drain the
 * collector into the bus, stop the detector and delivery, flush the writer, close the bus and
 * the store.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { operationsApi, type Readiness } from '../api/index.js'
import { createAuthenticator, isLoopbackHost } from '../core/auth.js'
import { type Bus, createBus } from '../core/bus/index.js'
import type { Config, Role } from '../core/config/schema.js'
import { httpErrors } from '../core/http-errors.js'
import { PrivpathError } from '../core/errors.js'
import type { Telemetry } from '../core/telemetry.js'
import { listenGrpc } from './grpc.js'
import { registerOpenApi } from './openapi.js'
import type { RoleHandle, RoleOverrides } from './role.js'
import { ROLE_REGISTRY, rolesNeedingStore } from './roles/registry.js'
import { recordRules } from './rules.js'
import { openStore, type StoreAccess } from './store.js'
import { SERVER_TOPICS, type ServerTopics } from './topics.js'

export interface AppOptions {
  config: Config
  telemetry: Telemetry
  /** Start functions to use instead of the registry's, by role (tests, embedding). */
  roles?: RoleOverrides
  /**
   * Serve OTLP/gRPC on a port the system picks, whatever server.grpc_port says (tests, which
   * start many apps at once); `App.grpcPort` tells which.
   */
  ephemeralGrpcPort?: boolean
}

export interface App {
  server: FastifyInstance
  /** Base URL the server listens on, e.g. http://127.0.0.1:4318. */
  url: string
  port: number
  /** The OTLP/gRPC port, undefined when gRPC is off (server.grpc_port 0, or no collector role). */
  grpcPort: number | undefined
  bus: Bus<ServerTopics>
  store: StoreAccess | undefined
  readiness(): Readiness
  /** Resolves once every request accepted so far has been published (embedded collector). */
  drain(): Promise<void>
  /** What SIGHUP does: reload the detector's rules, when this process runs the detector. */
  reloadRules(): Promise<{ ok: boolean }>
  stop(): Promise<void>
}

export async function startApp(options: AppOptions): Promise<App> {
  const { config, telemetry } = options
  const logger = telemetry.logger
  const wanted = new Set<Role>(config.roles)
  const auth = createAuthenticator(config.auth)
  if (!auth.enabled && !isLoopbackHost(config.server.host)) {
    logger.warn(
      { host: config.server.host },
      'SECURITY: listening on a non-loopback address WITHOUT tenant keys: anyone who can reach this port can send telemetry and read every tenant. Set auth.tenant_keys or PRIVPATH_TENANT_KEYS.',
    )
  }

  if (wanted.has('detector') && !wanted.has('delivery') && config.alerts.sinks.length > 0) {
    const sinks = config.alerts.sinks.map((s) => s.name)
    // On the in-process bus no other process can pick the alerts up: they would be stored, never
    // sent. A configuration written when the detector still delivered alerts itself lands here.
    if (config.bus.kind === 'memory') {
      throw new PrivpathError(
        'PP_ERR_CONFIG_INVALID',
        `roles: the detector runs without "delivery" while alerts.sinks (${sinks.join(', ')}) are configured; on the in-process bus nothing else can send its alerts. Add "delivery" to roles, or remove alerts.sinks.`,
      )
    }
    logger.info({ sinks }, 'alerts go to the alerts topic; the processes running the delivery role send them to alerts.sinks')
  }

  const stops: Array<{ name: string; stop: () => Promise<void> }> = []
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.error({ err, role: name }, 'shutdown step failed'))
    }
  }

  try {
    const bus = createBus<ServerTopics>(config.bus, telemetry, SERVER_TOPICS)
    stops.push({ name: 'bus', stop: () => bus.close() })

    let store: StoreAccess | undefined
    if (rolesNeedingStore(wanted)) {
      const opened = await openStore(config.store)
      store = opened
      stops.push({ name: 'store', stop: () => opened.close() })
      if (wanted.has('detector') || wanted.has('api')) await recordRules(opened.client, config, telemetry)
    }

    const handles = new Map<Role, RoleHandle>()
    for (const { role, start } of ROLE_REGISTRY) {
      if (!wanted.has(role)) continue
      const handle = await (options.roles?.[role] ?? start)({ config, bus, auth, telemetry, store })
      handles.set(role, handle)
      stops.push({ name: role, stop: () => handle.stop() })
    }

    const readiness = (): Readiness => {
      const checks: Record<string, boolean> = store ? { store: true } : {}
      for (const handle of handles.values()) Object.assign(checks, handle.checks?.())
      return { ready: Object.values(checks).every(Boolean), checks }
    }

    // Request logs are info level; the HTTP child logs warnings and errors only.
    const server = Fastify({
      loggerInstance: logger.child({ component: 'http' }, { level: 'warn' }),
      forceCloseConnections: 'idle',
      // Ids in paths come from agents (task, conversation and credential ids): the routes' schemas
      // bound them (512) and answer a longer one with our 400, before fastify's own 414 at 100.
      routerOptions: { maxParamLength: 1_024 },
    })
    // The operations routes and /openapi.json answer errors like every other route; the receiver,
    // the query API and delivery install the same reply in their own scopes.
    httpErrors(server as unknown as FastifyInstance, { what: 'HTTP request' })
    // First, so the document sees every route registered after it.
    await registerOpenApi(server)
    await server.register(operationsApi({ registry: telemetry.registry, readiness }))
    for (const handle of handles.values()) if (handle.plugin) await server.register(handle.plugin)
    await server.listen({ host: config.server.host, port: config.server.port })
    stops.push({ name: 'http', stop: () => server.close() })
    const address = server.server.address()
    const port = typeof address === 'object' && address ? address.port : config.server.port

    let grpcPort: number | undefined
    const grpcServices = [...handles.values()].flatMap((handle) => handle.grpcServices ?? [])
    const wantedGrpcPort = options.ephemeralGrpcPort ? 0 : config.server.grpc_port
    if (grpcServices.length > 0 && (options.ephemeralGrpcPort || wantedGrpcPort !== 0)) {
      const grpc = await listenGrpc({
        host: config.server.host,
        port: wantedGrpcPort,
        maxMessageBytes: config.server.max_body_bytes,
        services: grpcServices,
      })
      // Pushed after the HTTP server's, so stopped before it: both before the roles they feed.
      stops.push({ name: 'grpc', stop: () => grpc.stop() })
      grpcPort = grpc.port
    }

    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host
    logger.info({ host: config.server.host, port, grpc_port: grpcPort, roles: [...handles.keys()] }, 'privpath is up')

    return {
      server: server as unknown as FastifyInstance,
      url: `http://${host}:${port}`,
      port,
      grpcPort,
      bus,
      store,
      readiness,
      drain: async () => {
        for (const handle of handles.values()) await handle.drain?.()
      },
      reloadRules: async () => (await handles.get('detector')?.reloadRules?.()) ?? { ok: false },
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
