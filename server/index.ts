/**
 * The server: privpath's composition root. It builds the bus the configuration names (in-process
 * or Kafka), opens and migrates the store for the roles that need it, records the loaded rules in
 * it, starts each configured role from the registry (collector, writer, detector, delivery, api)
 * and mounts their routes on one HTTP server beside `/healthz`, `/readyz` and `/metrics`.
 *
 * In: validated configuration and telemetry. Out: a listening server, readiness, rule reload (what
 * SIGHUP does) and `stop()`, which shuts the roles down in reverse start order.
 * Not here: argument parsing, configuration loading and signals (cli/), the roles' own work (their
 * components).
 */
export { startApp } from './app.js'
export type { App, AppOptions } from './app.js'

export { ROLE_REGISTRY } from './roles/registry.js'
