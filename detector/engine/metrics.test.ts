import { describe, expect, it } from 'vitest'
import { silentTelemetry } from '../../core/telemetry.js'
import { ev, metricValue } from '../../testkit/detector.js'
import { CredentialRegistry } from '../state/registry.js'
import { detectorMetrics } from './metrics.js'

describe('detector metrics', () => {
  it('reports the credential tombstones a registry holds', async () => {
    const telemetry = silentTelemetry()
    const registry = new CredentialRegistry({ graceMs: 0, max: 10, tombstoneMs: 60_000, maxTombstones: 10 })
    detectorMetrics(telemetry.registry, () => ({ tasks: 0, credentials: registry.size, tombstones: registry.tombstoneCount }))
    registry.apply(ev({ kind: 'credential_revoked', credential_id: 'c1', ts: 1_000 }))
    registry.evict(2_000)
    expect(await metricValue(telemetry, 'privpath_detector_credential_tombstones')).toBe(1)
    expect(await metricValue(telemetry, 'privpath_detector_registry_size')).toBe(0)
  })
})
