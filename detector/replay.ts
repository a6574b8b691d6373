/**
 * Backtests: runs a stream of stored events through a fresh engine (no bus, no delivery) and
 * returns the final version of every alert plus counts per rule. At the end, absences whose
 * window closed by the last event time fire; windows still open are reported as `pending`.
 */
import type { Alert } from '../core/alert.js'
import type { PrivpathEvent } from '../core/event.js'
import { silentTelemetry, type Telemetry } from '../core/telemetry.js'
import { detectorConfig, type DetectorConfig } from './config.js'
import { DetectorEngine } from './engine/engine.js'
import type { Rule } from './rules/types.js'

export interface ReplayOptions {
  events: AsyncIterable<PrivpathEvent> | Iterable<PrivpathEvent>
  rules: Rule[]
  config?: Partial<DetectorConfig>
  telemetry?: Telemetry
  /** Events handed to the engine at once. */
  batchSize?: number
}

export interface ReplayResult {
  alerts: Alert[]
  /** Distinct alerts per rule id. */
  countsByRule: Record<string, number>
  /** Firings per rule id (sum of alert counts). */
  firingsByRule: Record<string, number>
  events: number
  /** Absence windows still open at the end of the stream. */
  pending: number
}

export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const engine = new DetectorEngine({
    rules: options.rules,
    config: detectorConfig(options.config),
    telemetry: options.telemetry ?? silentTelemetry(),
  })
  const latest = new Map<string, Alert>()
  const keep = (alerts: Alert[]): void => {
    for (const a of alerts) latest.set(a.alert_id, a)
  }
  const batchSize = options.batchSize ?? 1_000
  let batch: PrivpathEvent[] = []
  let events = 0
  for await (const event of options.events) {
    batch.push(event)
    events++
    if (batch.length >= batchSize) {
      keep(await engine.processBatch(batch))
      batch = []
    }
  }
  keep(await engine.processBatch(batch))
  if (Number.isFinite(engine.watermark)) keep(await engine.advance(engine.watermark))
  const alerts = [...latest.values()]
  const countsByRule: Record<string, number> = {}
  const firingsByRule: Record<string, number> = {}
  for (const a of alerts) {
    countsByRule[a.rule_id] = (countsByRule[a.rule_id] ?? 0) + 1
    firingsByRule[a.rule_id] = (firingsByRule[a.rule_id] ?? 0) + a.count
  }
  return { alerts, countsByRule, firingsByRule, events, pending: engine.stats().pendingAbsences }
}
