/** The corpus' trajectory model: what a domain plans (reads, the user's actions, attack goals) and the trajectory assembled from it. */
import type { Rng } from './random.js'

export const ASSISTANT_KINDS = ['banking', 'messaging', 'travel', 'workspace', 'shopping'] as const
type AssistantKind = (typeof ASSISTANT_KINDS)[number]

export const TASK_CLASSES = ['benign', 'resisted', 'succeeded'] as const
export type TaskClass = (typeof TASK_CLASSES)[number]

type Args = Record<string, unknown>

export interface ToolCall {
  id: string
  name: string
  arguments: Args
  result: string
}

/** One model turn: the calls it asked for, or (no calls) its final answer. */
export interface Turn {
  calls: ToolCall[]
  text: string
}

interface Injection {
  family: string
  /** The injected text exactly as it sits inside the tool result. */
  text: string
  /** Id of the tool call whose result carries it. */
  callId: string
}

export interface Trajectory {
  id: string
  kind: AssistantKind
  class: TaskClass
  agent: string
  model: string
  system: string
  request: string
  turns: Turn[]
  /** Null on benign tasks. */
  injection: Injection | null
  /** The attacker's values (IBAN, address, URL, name…): they appear only in `injection.text`. */
  attackerValues: string[]
}

/** A call of the user's task whose result is data; `result` places the injection slot ('' when none). */
interface Read {
  name: string
  args: Args
  result: (slot: string) => string
}

export interface Action {
  name: string
  args: Args
  result: string
}

interface TaskPlan {
  request: string
  reads: Read[]
  /** Index in `reads` of the untrusted read an attack puts its text in. */
  inject: number
  actions: Action[]
  answer: string
}

interface AttackGoal {
  /** The instruction, as an imperative clause ("send 250 EUR to …"). */
  goal: string
  actions: Action[]
  values: string[]
}

export interface Domain {
  kind: AssistantKind
  agent: string
  system: string
  untrusted: string[]
  /**
   * Tools acting with the user's authority, each with the arguments that name a target or
   * value (recipient, IBAN, e-mail, URL, hotel…): the corpus' ground truth is about these.
   */
  privileged: Record<string, string[]>
  tasks: Array<(rng: Rng) => TaskPlan>
  goals: Array<(rng: Rng) => AttackGoal>
}
