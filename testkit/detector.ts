/** Test helpers: rules from YAML text, events from partials, an engine with a fresh registry. */
import { silentTelemetry, type Telemetry } from '../core/telemetry.js'
import { emptyEvent, type PrivpathEvent } from '../core/event.js'
import type { Alert } from '../core/alert.js'
import { detectorConfig, type DetectorConfig } from '../detector/config.js'
import { DetectorEngine } from '../detector/engine/engine.js'
import { parseRuleText } from '../detector/rules/load.js'
import type { Rule } from '../detector/rules/types.js'

export function rulesFrom(yaml: string): Rule[] {
  const set = parseRuleText('test.yaml', yaml, { now: Date.parse('2026-01-01T00:00:00Z') })
  if (set.errors.length > 0) throw new Error(set.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'))
  return set.rules
}

let counter = 0
export function ev(partial: Partial<PrivpathEvent> & { kind: PrivpathEvent['kind'] }): PrivpathEvent {
  counter++
  return { ...emptyEvent(), task_id: 't1', tenant_id: 'acme', event_id: `ev${counter}`, ...partial }
}

export function engineWith(
  rules: Rule[],
  config: Partial<DetectorConfig> = {},
  telemetry: Telemetry = silentTelemetry(),
): DetectorEngine {
  return new DetectorEngine({ rules, config: detectorConfig(config), telemetry, clock: () => 42 })
}

export async function feed(engine: DetectorEngine, events: PrivpathEvent[]): Promise<Alert[]> {
  return engine.processBatch(events)
}

export async function metricValue(telemetry: Telemetry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await telemetry.registry.getSingleMetric(name)?.get()
  if (!metric) return 0
  return metric.values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0)
}
