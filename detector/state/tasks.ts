/**
 * Live tasks of one isolation domain, keyed by task id. Each task remembers when it was last
 * active in the domain's watermark time (its latest event's time plus how late it arrived), and
 * leaves `retentionMs` after that once it has ended, or `inactivityMs` after it when it never
 * ends (a conversation that spans traces and stopped, a root span that never arrived); beyond
 * `max` tasks the least recently updated one leaves. Every departure is reported to `onEvict`,
 * so it is counted, never silent.
 */
import type { PrivpathEvent } from '../../core/event.js'
import { DeadlineBuckets } from './buckets.js'
import { LruMap } from './lru.js'
import type { TaskDrop } from './task-logs.js'
import { applyEvent, emptyTask, type TaskState } from './task.js'

export type TaskEviction = 'ended' | 'inactive' | 'cap'

export interface TaskLimits {
  retentionMs: number
  /** 0 keeps a task that never ends until the cap pushes it out. */
  inactivityMs: number
  max: number
  untrustedOutputTools: string[]
}

export class TaskStore {
  private readonly tasks = new LruMap<TaskState>()
  private readonly deadlines = new DeadlineBuckets()

  constructor(
    private readonly limits: TaskLimits,
    private readonly onEvict: (reason: TaskEviction, task: TaskState) => void = () => {},
    private readonly onDrop: TaskDrop = () => {},
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

  /** Folds the event in; `seenAt` is the domain's watermark when it arrived (≥ its time). */
  apply(event: PrivpathEvent, seenAt: number, current?: TaskState): TaskState | undefined {
    if (event.task_id === '') return undefined
    const task = current ?? this.tasks.get(event.task_id) ?? emptyTask(event.task_id, event.tenant_id)
    const created = this.tasks.set(event.task_id, task, seenAt)
    applyEvent(task, event, this.limits.untrustedOutputTools, this.onDrop)
    if (event.kind === 'task_end') this.deadlines.add(task.task_id, seenAt + this.limits.retentionMs)
    else if (created && this.limits.inactivityMs > 0) this.deadlines.add(task.task_id, seenAt + this.limits.inactivityMs)
    while (this.tasks.size > this.limits.max) {
      const [oldestId, oldest] = this.tasks.oldest()!
      this.tasks.delete(oldestId)
      this.onEvict('cap', oldest)
    }
    return task
  }

  /** Orders tasks by when they were last active (after a restore that set them in another order). */
  settle(): void {
    this.tasks.sortByMark()
  }

  /** Evicts ended and inactive tasks due by watermark `now`; returns the inactive ones. */
  evict(now: number): TaskState[] {
    let inactive: TaskState[] | undefined
    for (const id of this.deadlines.due(now)) {
      const task = this.tasks.get(id)
      if (!task) continue
      const seen = this.tasks.markOf(id)
      const ended = task.ended_at !== null
      const keep = ended ? this.limits.retentionMs : this.limits.inactivityMs
      if (!ended && keep === 0) continue
      if (seen + keep <= now) {
        this.tasks.delete(id)
        this.onEvict(ended ? 'ended' : 'inactive', task)
        if (!ended) (inactive ??= []).push(task)
      } else {
        this.deadlines.add(id, seen + keep)
      }
    }
    return inactive ?? []
  }
}
