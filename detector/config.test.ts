import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { DetectorSection } from '../core/config/schema.js'
import { detectorConfig } from './config.js'

describe('detectorConfig', () => {
  it('fills every setting of the detector section with its schema default', () => {
    const config = detectorConfig()
    expect(Object.keys(config).sort()).toEqual(Object.keys(DetectorSection.properties).sort())
    expect(config).toMatchObject({ rules_dir: '', max_credential_ttl_s: 900, privileged_tools: [], rule_timeout_ms: 50 })
    expect(Value.Check(DetectorSection, config)).toBe(true)
  })

  it('gives each call lists of its own, leaving the schema defaults alone', () => {
    const first = detectorConfig()
    first.privileged_tools.push('db.*')
    first.untrusted_output_tools.push('web.fetch')
    const second = detectorConfig()
    expect(second.privileged_tools).toEqual([])
    expect(second.untrusted_output_tools).toEqual([])
    expect((DetectorSection.properties.privileged_tools as { default?: unknown }).default).toEqual([])
  })

  it('lets overrides win over the defaults', () => {
    const config = detectorConfig({ privileged_tools: ['shell.*'], rule_timeout_ms: 5 })
    expect(config.privileged_tools).toEqual(['shell.*'])
    expect(config.rule_timeout_ms).toBe(5)
    expect(config.max_tasks).toBe(200_000)
  })
})
