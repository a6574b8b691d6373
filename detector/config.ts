/** Detector settings: the `detector` config section, with defaults filled in for library callers. */
import type { Static } from 'typebox'
import { DetectorSection } from '../core/config/schema.js'

export type DetectorConfig = Static<typeof DetectorSection>

export function detectorConfig(overrides: Partial<DetectorConfig> = {}): DetectorConfig {
  const defaults: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(DetectorSection.properties)) {
    const value = (schema as { default?: unknown }).default
    defaults[key] = Array.isArray(value) ? [...value] : value
  }
  return { ...(defaults as DetectorConfig), ...overrides }
}
