import { describe, expect, it, vi } from 'vitest'
import type { PrivpathEvent } from '../core/event.js'
import { silentTelemetry } from '../core/telemetry.js'
import { makeEvent } from '../testkit/store.js'
import { detectorConfig } from './config.js'
import { DetectorEngine } from './engine/engine.js'
import { partitionRebuild } from './rebuild.js'

const serial = <T>(work: () => Promise<T> | T): Promise<T> => Promise.resolve().then(work)

async function* from(events: PrivpathEvent[]): AsyncIterable<PrivpathEvent> {
  yield* events
}

function engine(): DetectorEngine {
  return new DetectorEngine({ rules: [], config: detectorConfig(), telemetry: silentTelemetry() })
}

describe('partitionRebuild', () => {
  it('with a store: skips the first assignment (restored at start), then restores only tasks not held', async () => {
    const current = engine()
    await current.process(makeEvent({ kind: 'task_start', task_id: 'held', event_id: 'h1' }))
    const history = [
      makeEvent({ kind: 'task_start', task_id: 'held', event_id: 'h1' }),
      makeEvent({ kind: 'task_start', task_id: 'moved', event_id: 'm1' }),
      makeEvent({ kind: 'credential_issued', task_id: 'moved', credential_id: 'c1', event_id: 'm2' }),
    ]
    const loadHistory = vi.fn(() => from(history))
    const replayPartitions = vi.fn(() => from([]))
    const stepped = vi.spyOn(current, 'stepBatch')
    const hook = partitionRebuild({ engine: current, serial, loadHistory, replayPartitions, logger: silentTelemetry().logger })

    await hook([0])
    expect(loadHistory).not.toHaveBeenCalled()
    await hook([0, 1])
    expect(stepped.mock.calls.flatMap(([events]) => events.map((e) => e.event_id))).toEqual(['m1', 'm2'])
    expect(current.hasTask('moved')).toBe(true)
    expect(replayPartitions).not.toHaveBeenCalled()
    await hook([0, 1])
    expect(loadHistory).toHaveBeenCalledTimes(1)
  })

  it('without a store: replays exactly the partitions new to this member, every time it gains some', async () => {
    const current = engine()
    const replayPartitions = vi.fn((partitions: number[]) => from(partitions.map((p) => makeEvent({ kind: 'task_start', task_id: `task-${p}`, event_id: `e${p}` }))))
    const hook = partitionRebuild({ engine: current, serial, replayPartitions, logger: silentTelemetry().logger })
    await hook([0, 1])
    await hook([1, 2])
    await hook([1, 2])
    expect(replayPartitions.mock.calls).toEqual([[[0, 1]], [[2]]])
    expect(['task-0', 'task-1', 'task-2'].map((t) => current.hasTask(t))).toEqual([true, true, true])
  })
})
