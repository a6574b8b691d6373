/**
 * Inline test events: partial events completed from `emptyEvent()` with the documented
 * defaults (task t1, tenant acme, ts 0, 1000, 2000... when omitted, event ids e1, e2...).
 */
import { emptyEvent, EventSchema, isEventKind, type PrivpathEvent } from '../../core/event.js'

const EVENT_FIELDS = new Set(Object.keys(EventSchema.properties))
const TIME_FIELDS = new Set(['ts', 'observed_at', 'credential_expires_at'])

export function completeEvents(partials: unknown[]): { events: PrivpathEvent[]; errors: string[] } {
  const events: PrivpathEvent[] = []
  const errors: string[] = []
  partials.forEach((raw, index) => {
    const where = `events[${index}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      errors.push(`${where}: must be a mapping`)
      return
    }
    const partial = raw as Record<string, unknown>
    if (!isEventKind(partial.kind)) {
      errors.push(`${where}.kind: must be one of the event kinds, got ${JSON.stringify(partial.kind)}`)
      return
    }
    const event: Record<string, unknown> = { ...emptyEvent(), task_id: 't1', tenant_id: 'acme', ts: index * 1000 }
    event.event_id = `e${index + 1}`
    for (const [key, value] of Object.entries(partial)) {
      if (!EVENT_FIELDS.has(key)) {
        errors.push(`${where}.${key}: unknown event field`)
        continue
      }
      if (TIME_FIELDS.has(key) && typeof value === 'string') {
        const ms = Date.parse(value)
        if (Number.isNaN(ms)) errors.push(`${where}.${key}: not a number of ms nor an RFC3339 time`)
        event[key] = ms
        continue
      }
      if (value instanceof Date) {
        event[key] = value.getTime()
        continue
      }
      const expected = emptyEvent()[key as keyof PrivpathEvent]
      const ok =
        (Array.isArray(expected) && Array.isArray(value)) ||
        (typeof expected === typeof value && !Array.isArray(value)) ||
        (expected === null && (value === null || typeof value === 'number'))
      if (!ok) errors.push(`${where}.${key}: wrong type ${Array.isArray(value) ? 'array' : typeof value}`)
      event[key] = key === 'attributes' || Array.isArray(value) ? value : value
    }
    if (partial.observed_at === undefined) event.observed_at = event.ts
    events.push(event as PrivpathEvent)
  })
  return { events, errors }
}
