import Value from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { EventSchema } from '../../core/event.js'
import { BUILT_AT_MS, logRecord, logRequest } from '../../testkit/otlp-builders.js'
import { mapLogRequest } from './map.js'

function issued(ttl: unknown) {
  const [record] = mapLogRequest(logRequest([logRecord({ eventName: 'credential.issued', atMs: BUILT_AT_MS, attributes: { 'credential.ttl_s': ttl as number } })]), {
    observedAt: BUILT_AT_MS,
  })
  return record.events[0]
}

describe('credential expiry from credential.ttl_s', () => {
  it('is event time plus the ttl', () => {
    expect(issued(900).credential_expires_at).toBe(1_700_000_900_000)
  })

  it('is null, and the event valid, when the ttl is not a number or overflows', () => {
    for (const ttl of [1.797693134862316e305, 'soon', Number.POSITIVE_INFINITY]) {
      const event = issued(ttl)
      expect(event.credential_expires_at).toBeNull()
      expect(Value.Check(EventSchema, event)).toBe(true)
    }
  })
})
