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
    expect(credentials).toEqual([
      { key: 'c1', value: child.events[1] },
      { key: 't1', value: root.events[2] },
    ])
  })

  it('publishes task_end on credentials too, keyed by its task, and no other kind of event without a credential', () => {
    const { credentials } = eventMessages([
      { events: [ev('start', { ts: 1, kind: 'task_start' }), ev('tool', { ts: 2, kind: 'tool_invocation' }), ev('issued', { ts: 3, kind: 'credential_issued', credential_id: 'c9' })] },
      { events: [ev('end', { ts: 9, kind: 'task_end', task_id: 't2' })] },
    ])
    expect(credentials.map((m) => [m.key, m.value.event_id])).toEqual([
      ['c9', 'issued'],
      ['t2', 'end'],
    ])
  })
})
