/**
 * What a role is to the server: started from the shared context (configuration, bus, store,
 * authenticator, telemetry), it may serve routes on the one HTTP server and services on the one
 * gRPC server, contributes readiness checks, and stops. The server starts roles in a fixed order and stops them in reverse.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { GrpcService } from '../collector/index.js'
import type { Authenticator } from '../core/auth.js'
import type { Bus } from '../core/bus/index.js'
import type { Config, Role } from '../core/config/schema.js'
import type { Telemetry } from '../core/telemetry.js'
import type { StoreAccess } from './store.js'
import type { ServerTopics } from './topics.js'

interface RoleContext {
  config: Config
  bus: Bus<ServerTopics>
  auth: Authenticator
  telemetry: Telemetry
  /** Present when this process runs a role that needs the store (writer, api). */
  store: StoreAccess | undefined
}

export interface RoleHandle {
  /** Routes this role serves on the shared HTTP server. */
  plugin?: FastifyPluginAsync
  /** Services this role serves on the shared gRPC server (server.grpc_port). */
  grpcServices?: GrpcService[]
  /** Named checks this role adds to `/readyz`. */
  checks?: () => Record<string, boolean>
  /** Resolves once everything this role accepted so far has been handed on (the collector's pipeline). */
  drain?(): Promise<void>
  /** Re-reads the rule files (detector); an invalid edit keeps the running rules. */
  reloadRules?(): Promise<{ ok: boolean }>
  stop(): Promise<void>
}

export type StartRole = (context: RoleContext) => Promise<RoleHandle>

/** Replacements for the registry's start functions, by role (tests, embedding). */
export type RoleOverrides = Partial<Record<Role, StartRole>>
