import { describe, expect, it } from 'vitest'
import { silentTelemetry } from '../core/telemetry.js'
import type { FirstSeenRow } from '../core/store/first-seen.js'
import { FirstSeenSync } from './first-seen-sync.js'

const row = (object: string, seenAt = 0): FirstSeenRow => ({ domain: '', tenant_id: 'acme', kind: 'tool', subject: 'a', object, hash: '', detail: '', first_seen: seenAt, seen_at: seenAt })

describe('FirstSeenSync', () => {
  it('keeps the rows of a failed write for the next one', async () => {
    const written: string[][] = []
    let fail = true
    const sync = new FirstSeenSync(
      {
        read: async () => [],
        write: async (rows) => {
          if (fail) throw new Error('store down')
          written.push(rows.map((r) => r.object))
        },
      },
      silentTelemetry().logger,
    )
    sync.collect(row('x'))
    await sync.flush()
    expect(sync.waiting).toBe(1)
    fail = false
    sync.collect(row('y'))
    await sync.flush()
    expect(written).toEqual([['x', 'y']])
    expect(sync.waiting).toBe(0)
  })

  it('reads everything first, then what was written since the newest row read, with five minutes of overlap', async () => {
    const asked: Array<number | undefined> = []
    const sync = new FirstSeenSync({ read: async (since) => (asked.push(since), [row('x', 3_600_000)]), write: async () => {} }, silentTelemetry().logger)
    await sync.read()
    await sync.read()
    expect(asked).toEqual([undefined, 3_300_000])
  })
})
