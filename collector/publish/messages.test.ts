import { describe, expect, it } from 'vitest'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { eventMessages } from './messages.js'

const ev = (event_id: string, patch: Partial<PrivpathEvent>): PrivpathEvent => ({ ...emptyEvent(), event_id, task_id: 't1', ...patch })

describe('eventMessages', () => {
  it('orders by event time with task_start first and task_end last, and keys credentials by id', () => {
    const root = { events: [ev('own', { ts: 10, kind: 'other' }), ev('start', { ts: 10, kind: 'task_start' }), ev('end', { ts: 50, kind: 'task_end' })] }
    const child = { events: [ev('tool', { ts: 20, kind: 'tool_invocation' }), ev('used', { ts: 20, seq: 1, kind: 'credential_used', credential_id: 'c1' })] }
    const { events, credentials } = eventMessages([root, child])
    expect(events.map((m) => m.value.event_id)).toEqual(['start', 'own', 'tool', 'used', 'end'])
    expect(events.every((m) => m.key === 't1')).toBe(true)
    expect(credentials).toEqual([{ key: 'c1', value: child.events[1] }])
  })
})
