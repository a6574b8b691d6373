import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EVENT_FLAGS, EVENT_KINDS, EventSchema } from '../core/event.js'

describe('docs/events.md', () => {
  const doc = readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8')
  const documented = new Set([...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]))

  it('documents every field, kind and flag of the event model', () => {
    const names = [...Object.keys(EventSchema.properties), ...EVENT_KINDS, ...EVENT_FLAGS]
    for (const name of names) expect(documented.has(name), `${name} missing from docs/events.md`).toBe(true)
  })

  it('documents nothing the model does not have', () => {
    const known = new Set<string>([...Object.keys(EventSchema.properties), ...EVENT_KINDS, ...EVENT_FLAGS])
    for (const name of documented) expect(known.has(name), `${name} is documented but not in core/event.ts`).toBe(true)
  })
})
