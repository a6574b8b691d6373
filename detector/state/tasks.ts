/**
 * Live tasks keyed by task id. Ended tasks leave `retentionMs` after their task_end (event
 * time); beyond `max` tasks the least recently updated one leaves. Both are reported to
 * `onEvict` so they are counted, never silent.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { DeadlineBuckets } from './buckets.js'
import { LruMap } from './lru.js'
import { applyEvent, emptyTask, type TaskState } from './task.js'

export class TaskStore {
  private readonly tasks = new LruMap<TaskState>()
  private readonly deadlines = new DeadlineBuckets()

  constructor(
    private readonly limits: { retentionMs: number; max: number; untrustedOutputTools: string[] },
    private readonly onEvict: (reason: 'ended' | 'cap', task: TaskState) => void = () => {},
  ) {}

  get size(): number {
    return this.tasks.size
  }

  get(taskId: string): TaskState | undefined {
    return this.tasks.get(taskId)
  }

  /** The state rules see for this event's task (not stored until `apply`). */
  peek(event: PrivpathEvent): TaskState {
    return this.tasks.get(event.task_id) ?? emptyTask(event.task_id, event.tenant_id)
  }

  apply(event: PrivpathEvent, current?: TaskState): TaskState | undefined {
    if (event.task_id === '') return undefined
    const task = current ?? this.tasks.get(event.task_id) ?? emptyTask(event.task_id, event.tenant_id)
    this.tasks.set(event.task_id, task)
    applyEvent(task, event, this.limits.untrustedOutputTools)
    if (event.kind === 'task_end') this.deadlines.add(task.task_id, task.ended_at! + this.limits.retentionMs)
    while (this.tasks.size > this.limits.max) {
      const [oldestId, oldest] = this.tasks.oldest()!
      this.tasks.delete(oldestId)
      this.onEvict('cap', oldest)
    }
    return task
  }

  evict(now: number): void {
    for (const id of this.deadlines.due(now)) {
      const task = this.tasks.get(id)
      if (!task || task.ended_at === null) continue
      if (task.ended_at + this.limits.retentionMs <= now) {
        this.tasks.delete(id)
        this.onEvict('ended', task)
      } else {
        this.deadlines.add(id, task.ended_at + this.limits.retentionMs)
      }
    }
  }

  setUntrustedOutputTools(tools: string[]): void {
    this.limits.untrustedOutputTools = tools
  }

  values(): IterableIterator<TaskState> {
    return this.tasks.values()
  }
}
