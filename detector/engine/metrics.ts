/** The detector's metrics, registered once per registry (reused when already there). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Structures of detector state, as `privpath_detector_state_entries{structure}` names them. */
export const STATE_STRUCTURES = [
  'tasks',
  'credentials',
  'tombstones',
  'task_ends',
  'agents',
  'provenance_values',
  'dedup_windows',
  'threshold_groups',
  'sequence_partials',
  'pending_absences',
  'held_steps',
] as const

/** Entries held per structure, over every isolation domain. */
export type StateSizes = Record<(typeof STATE_STRUCTURES)[number], number>

export interface DetectorMetrics {
  events: Counter<string>
  alerts: Counter<'rule' | 'severity'>
  alertUpdates: Counter<'rule'>
  ruleErrors: Counter<'rule' | 'reason'>
  suppressed: Counter<'rule' | 'exception'>
  evictions: Counter<'what' | 'reason'>
  lateEvents: Counter<string>
  dropped: Counter<'reason'>
  evaluation: Histogram<string>
  liveTasks: Gauge<string>
  registrySize: Gauge<string>
  tombstones: Gauge<string>
  stateEntries: Gauge<'structure'>
}

function get<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}

/**
 * `sizes`: the counts the older gauges report, cheap to take; `state`: every structure's (it
 * walks the correlation windows), for `privpath_detector_state_entries`.
 */
export function detectorMetrics(
  registry: Registry,
  sizes: () => Pick<StateSizes, 'tasks' | 'credentials' | 'tombstones'>,
  state: () => StateSizes,
): DetectorMetrics {
  const registers = [registry]
  return {
    events: get(registry, 'privpath_detector_events_evaluated_total', () => new Counter({
      name: 'privpath_detector_events_evaluated_total', help: 'Events evaluated by the detector', registers,
    })),
    alerts: get(registry, 'privpath_detector_alerts_raised_total', () => new Counter({
      name: 'privpath_detector_alerts_raised_total', help: 'New alerts raised', labelNames: ['rule', 'severity'], registers,
    })),
    alertUpdates: get(registry, 'privpath_detector_alert_updates_total', () => new Counter({
      name: 'privpath_detector_alert_updates_total', help: 'Repeats folded into an existing alert (count raised)', labelNames: ['rule'], registers,
    })),
    ruleErrors: get(registry, 'privpath_detector_rule_errors_total', () => new Counter({
      name: 'privpath_detector_rule_errors_total', help: 'Rule evaluations that threw or exceeded rule_timeout_ms', labelNames: ['rule', 'reason'], registers,
    })),
    suppressed: get(registry, 'privpath_detector_suppressed_total', () => new Counter({
      name: 'privpath_detector_suppressed_total', help: 'Firings suppressed by a rule exception', labelNames: ['rule', 'exception'], registers,
    })),
    evictions: get(registry, 'privpath_detector_evictions_total', () => new Counter({
      name: 'privpath_detector_evictions_total', help: 'State entries evicted', labelNames: ['what', 'reason'], registers,
    })),
    lateEvents: get(registry, 'privpath_detector_late_events_total', () => new Counter({
      name: 'privpath_detector_late_events_total', help: 'Events older than watermark - allowed_lateness_ms (skipped by correlation rules)', registers,
    })),
    dropped: get(registry, 'privpath_detector_dropped_total', () => new Counter({
      name: 'privpath_detector_dropped_total', help: 'Correlation state dropped at a cap', labelNames: ['reason'], registers,
    })),
    evaluation: get(registry, 'privpath_detector_evaluation_seconds', () => new Histogram({
      name: 'privpath_detector_evaluation_seconds', help: 'Time to evaluate one event against all its rules (sampled: one event in 16)',
      buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1], registers,
    })),
    liveTasks: get(registry, 'privpath_detector_live_tasks', () => new Gauge({
      name: 'privpath_detector_live_tasks', help: 'Tasks held in detector state', registers,
      collect() { this.set(sizes().tasks) },
    })),
    registrySize: get(registry, 'privpath_detector_registry_size', () => new Gauge({
      name: 'privpath_detector_registry_size', help: 'Credentials held in the registry', registers,
      collect() { this.set(sizes().credentials) },
    })),
    tombstones: get(registry, 'privpath_detector_credential_tombstones', () => new Gauge({
      name: 'privpath_detector_credential_tombstones', help: 'Revoked or expired credentials remembered after leaving the registry', registers,
      collect() { this.set(sizes().tombstones) },
    })),
    stateEntries: get(registry, 'privpath_detector_state_entries', () => new Gauge({
      name: 'privpath_detector_state_entries', help: 'Entries the detector holds in memory, per structure (docs/benchmarks.md bench:restart has bytes per entry)',
      labelNames: ['structure'], registers,
      collect() {
        const now = state()
        for (const structure of STATE_STRUCTURES) this.set({ structure }, now[structure])
      },
    })),
  }
}
