/** Detector settings: the `detector` config section, with defaults filled in for library callers. */
import type { Static } from 'typebox'
import { Value } from 'typebox/value'
import { DetectorSection } from '../core/config/schema.js'

export type DetectorConfig = Static<typeof DetectorSection>

export function detectorConfig(overrides: Partial<DetectorConfig> = {}): DetectorConfig {
  // a fresh object each call, and Value.Default clones each default: no two configs share a list
  const defaults = Value.Default(DetectorSection, {}) as DetectorConfig
  return { ...defaults, ...overrides }
}
