/**
 * The decision endpoint as a part of the detector's process: it reads the running engine's state
 * (decisions are answered where the task's state lives), waits on the batches the detector steps,
 * and publishes each decision's event on `events` like the collector, so it is stored in its task
 * and counted by the detector. In: the detector, the bus, tenant keys. Out: HTTP routes.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Authenticator } from '../../core/auth.js'
import type { Bus, CoreTopics } from '../../core/bus/index.js'
import type { PrivpathEvent } from '../../core/event.js'
import type { Telemetry } from '../../core/telemetry.js'
import type { DetectorEngine } from '../engine/engine.js'
import { Decider, type DecisionSettings, type PolicyEvaluator } from './decide.js'
import { SpanWaits } from './freshness.js'
import { decisionRoutes } from './routes.js'

export interface DecisionServiceOptions {
  settings: DecisionSettings & { max_evaluations: number }
  engine: () => DetectorEngine | undefined
  /** The Cedar policy set in force (policy-source.ts); none: rules decide alone. */
  policies?: () => PolicyEvaluator | null
  bus: Pick<Bus<CoreTopics>, 'publish'>
  auth: Authenticator
  telemetry: Telemetry
  publicUrl: string
}

export interface DecisionService {
  plugin: FastifyPluginAsync
  decider: Decider
  /** After the detector stepped a batch. */
  stepped(): void
  close(): void
}

export function decisionService(options: DecisionServiceOptions): DecisionService {
  const log = options.telemetry.logger.child({ component: 'decision' })
  const waits = new SpanWaits((domain, spanId) => options.engine()?.processedSpan(domain, spanId) ?? false)
  // decisions answered in one turn of the event loop are published together: one bus batch, and
  // one detector step, for many decisions under load
  let pending: PrivpathEvent[] = []
  const flush = (): void => {
    const events = pending
    pending = []
    options.bus.publish('events', events.map((event) => ({ key: event.task_id, value: event }))).catch((error: unknown) => {
      log.error({ err: error, decisions: events.map((e) => e.attributes['privpath.decision.id']) }, 'decisions answered, but their authz_decision events were not published')
    })
  }
  const record = (event: PrivpathEvent): void => {
    if (pending.push(event) === 1) setImmediate(flush)
  }
  const decider = new Decider({ settings: options.settings, state: options.engine, policies: options.policies ?? (() => null), waits, record })
  return {
    plugin: decisionRoutes({ decider, auth: options.auth, registry: options.telemetry.registry, maxEvaluations: options.settings.max_evaluations, publicUrl: options.publicUrl }),
    decider,
    stepped: () => waits.notify(),
    close: () => waits.close(),
  }
}
