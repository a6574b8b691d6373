import { describe, expect, it } from 'vitest'
import { silentTelemetry } from '../../core/telemetry.js'
import { engineWith, ev, feed, metricValue } from '../../testkit/detector.js'
import { CredentialRegistry } from '../state/registry.js'
import { detectorMetrics, STATE_STRUCTURES, type StateSizes } from './metrics.js'

describe('detector metrics', () => {
  it('reports the credential tombstones a registry holds', async () => {
    const telemetry = silentTelemetry()
    const registry = new CredentialRegistry({ graceMs: 0, max: 10, tombstoneMs: 60_000, maxTombstones: 10 })
    const sizes = () => ({ tasks: 0, credentials: registry.size, tombstones: registry.tombstoneCount })
    detectorMetrics(telemetry.registry, sizes, () => ({ ...(Object.fromEntries(STATE_STRUCTURES.map((s) => [s, 0])) as StateSizes), ...sizes() }))
    registry.apply(ev({ kind: 'credential_revoked', credential_id: 'c1', ts: 1_000 }))
    registry.evict(2_000)
    expect(await metricValue(telemetry, 'privpath_detector_credential_tombstones')).toBe(1)
    expect(await metricValue(telemetry, 'privpath_detector_registry_size')).toBe(0)
    expect(await metricValue(telemetry, 'privpath_detector_state_entries', { structure: 'tombstones' })).toBe(1)
  })

  it('reports the entries of every state structure, and a task that leaves takes its provenance values with it', async () => {
    const telemetry = silentTelemetry()
    const engine = engineWith([], { task_retention_ms: 1_000 }, telemetry)
    const entries = async () => Object.fromEntries(await Promise.all(STATE_STRUCTURES.map(async (s) => [s, await metricValue(telemetry, 'privpath_detector_state_entries', { structure: s })])))
    await feed(engine, [
      ev({ kind: 'task_start', task_id: 'a', ts: 0 }),
      ev({ kind: 'credential_issued', task_id: 'a', credential_id: 'c1', ts: 1 }),
      ev({ kind: 'authz_decision', task_id: 'a', agent_id: 'agent-1', authz_result: 'allow', ts: 2 }),
      // one e-mail address: the address and its domain are the values remembered
      ev({ kind: 'tool_invocation', task_id: 'a', tool_name: 'crm.lookup', tool_result: '{"owner":"dana@example.com"}', ts: 3 }),
      ev({ kind: 'task_start', task_id: 'b', ts: 4 }),
      ev({ kind: 'task_end', task_id: 'a', ts: 5 }),
    ])
    expect(await entries()).toMatchObject({ tasks: 2, credentials: 1, tombstones: 0, task_ends: 1, agents: 1, provenance_values: 2, dedup_windows: 0, held_steps: 0 })
    expect(engine.stateSizes()).toEqual(await entries())
    // past the retention after its end, task a leaves on the next sweep
    await feed(engine, [ev({ kind: 'prompt', task_id: 'b', ts: 2_000 })])
    expect(await entries()).toMatchObject({ tasks: 1, provenance_values: 0 })
  })
})
