/**
 * Provenance for one isolation domain: a TaskProvenance per live task (held beside the task's
 * state and gone with it), fed by each event after the rules saw it, and read before the rules
 * judge a tool call (`provenance` in the rule context).
 */
import type { PrivpathEvent } from '../../core/event.js'
import { glob } from '../../core/expression/index.js'
import type { TaskState } from '../state/task.js'
import { linesByRole, TaskProvenance, type ArgumentOrigin } from './provenance.js'
import type { ValueHasher } from './values.js'

/** The built-in untrusted-output patterns (the rule pack's), used when `detector.untrusted_output_tools` is empty. */
const DEFAULT_UNTRUSTED_TOOLS = ['web.*', '*fetch*', '*browse*', 'email.*', '*mail*', '*retriev*', '*search*', '*inbox*', '*webpage*']

export interface InjectionRange {
  start: number
  end: number
  kind: string
  reasons: string[]
}

/** What rules see as `provenance` for an event. */
export interface EventProvenance {
  /** Each value in a tool call's arguments and where it first appeared in the task. */
  arguments: ArgumentOrigin[]
  /** Some argument value first appeared inside injected instructions and the user never wrote it. */
  injected: boolean
  /** Some argument value came from untrusted tool output (ordinary data there, not injected text). */
  untrusted: boolean
  /** Injection attempts in this event's own tool result: their kinds and reasons; null when none. */
  injection: { kinds: string[]; reasons: string[] } | null
}

export const NO_PROVENANCE: EventProvenance = Object.freeze({ arguments: [], injected: false, untrusted: false, injection: null }) as EventProvenance

export interface KeeperOptions {
  hasher: ValueHasher
  untrustedTools: () => readonly string[]
  findInjections: (text: string) => InjectionRange[]
}

/** The tool's result text of an event (empty for other kinds). */
function resultOf(event: PrivpathEvent): string {
  return event.kind === 'tool_invocation' ? event.tool_result : ''
}

export class ProvenanceKeeper {
  private readonly tasks = new WeakMap<TaskState, TaskProvenance>()
  /** Values remembered over every task held (a WeakMap cannot be counted: kept as tasks gain values and leave). */
  private remembered = 0
  /** The last event's injection findings, from `annotate` to `record` (one event at a time). */
  private pending: { event: PrivpathEvent; findings: InjectionRange[] } | undefined

  constructor(private readonly options: KeeperOptions) {}

  /** Values remembered for the tasks held. */
  get values(): number {
    return this.remembered
  }

  /** A task left state: its values no longer count. */
  forget(task: TaskState): void {
    this.remembered -= this.tasks.get(task)?.size ?? 0
    this.tasks.delete(task)
  }

  /** Before the rules: the origins of a tool call's argument values, and injections in its own result. */
  annotate(event: PrivpathEvent, task: TaskState): EventProvenance {
    if (event.kind !== 'tool_invocation') return NO_PROVENANCE
    const result = resultOf(event)
    const findings = result === '' ? [] : this.options.findInjections(unescaped(result))
    this.pending = { event, findings }
    return this.describe(event, task, findings)
  }

  /** `annotate` for a proposed call (the decision endpoint): the same answer, nothing remembered. */
  inspect(event: PrivpathEvent, task: TaskState): EventProvenance {
    if (event.kind !== 'tool_invocation') return NO_PROVENANCE
    const result = resultOf(event)
    return this.describe(event, task, result === '' ? [] : this.options.findInjections(unescaped(result)))
  }

  /** What the task's tool results were: untrusted output read, injected instructions seen. */
  exposure(task: TaskState): { untrusted: boolean; injected: boolean } {
    const seen = this.tasks.get(task)
    return { untrusted: seen?.untrusted ?? false, injected: seen?.injected ?? false }
  }

  private describe(event: PrivpathEvent, task: TaskState, findings: InjectionRange[]): EventProvenance {
    const origins = event.tool_arguments === '' ? [] : (this.tasks.get(task)?.trace(event.tool_arguments) ?? [])
    if (origins.length === 0 && findings.length === 0) return NO_PROVENANCE
    return {
      arguments: origins,
      injected: origins.some((o) => o.injected && o.origin !== 'user'),
      untrusted: origins.some((o) => o.origin === 'untrusted_tool' && !o.injected),
      injection: findings.length === 0 ? null : { kinds: unique(findings.map((f) => f.kind)), reasons: unique(findings.flatMap((f) => f.reasons)) },
    }
  }

  /** After the rules: remembers the values this event showed the task, and where they sat. */
  record(event: PrivpathEvent, task: TaskState | undefined): void {
    if (task === undefined) return
    if (event.kind === 'tool_invocation') {
      const result = resultOf(event)
      if (result === '') return
      const findings = this.pending?.event === event ? this.pending.findings : this.options.findInjections(unescaped(result))
      this.pending = undefined
      // a GenAI `datastore` tool is a retrieval source: what it returns is outside content
      const untrusted = event.attributes['gen_ai.tool.type'] === 'datastore' || glob(event.tool_name, this.untrusted())
      const provenance = this.of(task)
      const before = provenance.size
      provenance.record(result, untrusted ? 'untrusted_tool' : 'tool', event.event_id, event.tool_name, findings)
      this.remembered += provenance.size - before
      return
    }
    if ((event.kind !== 'prompt' && event.kind !== 'reasoning_step') || event.content === '') return
    const provenance = this.of(task)
    const before = provenance.size
    for (const [role, text] of linesByRole(event.content)) {
      if (role === 'user' || role === 'human') provenance.record(text, 'user', event.event_id, '')
      else if (role === 'system' || role === 'developer') provenance.record(text, 'system', event.event_id, '')
      // tool results the model was shown: who sent them is not said here, what they say is
      else if (role === 'tool' || role === 'function') provenance.record(text, 'tool', event.event_id, '', this.options.findInjections(unescaped(text)))
    }
    this.remembered += provenance.size - before
  }

  private untrusted(): readonly string[] {
    const configured = this.options.untrustedTools()
    return configured.length > 0 ? configured : DEFAULT_UNTRUSTED_TOOLS
  }

  private of(task: TaskState): TaskProvenance {
    let provenance = this.tasks.get(task)
    if (!provenance) this.tasks.set(task, (provenance = new TaskProvenance(this.options.hasher)))
    return provenance
  }
}

/**
 * Tool results are often JSON, where a message's line breaks and quotes arrive escaped (`\\n`,
 * `\\"`): the detector reads them as the breaks and quotes they stand for. Same length, so offsets
 * still point into the original text.
 */
function unescaped(text: string): string {
  return text.indexOf('\\') === -1 ? text : text.replace(/\\[nrt"]/g, (m) => (m === '\\"' ? ' "' : '\n '))
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}
