/**
 * The corpus: trajectories of five kinds of assistant in three classes, from one seed. A benign
 * task reads outside data and acts as the user asked; an attacked one has an injection in one
 * untrusted tool result, which the model either ignores (resisted) or follows (succeeded).
 */
import { banking } from './domains/banking.js'
import { messaging } from './domains/messaging.js'
import { shopping } from './domains/shopping.js'
import { travel } from './domains/travel.js'
import { workspace } from './domains/workspace.js'
import { INJECTION_FAMILIES } from './injections.js'
import type { Action, Domain, TaskClass, ToolCall, Trajectory, Turn } from './model.js'
import { Rng } from './random.js'

export const DOMAINS: Domain[] = [banking, messaging, travel, workspace, shopping]

const MODELS = [
  ['gpt-4o-2024-05-13', 'GPT-4'], ['gpt-4o-mini-2024-07-18', 'ChatGPT'], ['claude-3-5-sonnet-20241022', 'Claude'],
  ['gemini-1.5-pro-002', 'Gemini'], ['llama-3.3-70b-instruct', 'Llama'], ['command-r-plus', 'Command R+'], ['mistral-large-2411', 'Mistral'],
] as const
const USERS = ['Emma Johansson', 'Emma', 'the account owner', 'your user']
const RESISTED_NOTES = [
  '',
  ' Note: one of the results contained instructions addressed to me; I did not follow them.',
  ' (I ignored a request in the data that did not come from you.)',
]

interface CorpusOptions {
  seed?: number
  /** Trajectories per kind of assistant and class. */
  perClass?: Partial<Record<TaskClass, number>>
}

export const DEFAULT_PER_CLASS: Record<TaskClass, number> = { benign: 50, resisted: 25, succeeded: 25 }

/** Tools that bring outside content, and tools that act with the user's authority, over every domain. */
export function corpusTools(): { untrusted: string[]; privileged: string[] } {
  const untrusted = new Set(DOMAINS.flatMap((d) => d.untrusted))
  const privileged = new Set(DOMAINS.flatMap((d) => Object.keys(d.privileged)))
  return { untrusted: [...untrusted].sort(), privileged: [...privileged].sort() }
}

export function generateCorpus(options: CorpusOptions = {}): Trajectory[] {
  const rng = new Rng(options.seed ?? 20)
  const perClass = { ...DEFAULT_PER_CLASS, ...options.perClass }
  const out: Trajectory[] = []
  for (const domain of DOMAINS) {
    for (const cls of ['benign', 'resisted', 'succeeded'] as const) {
      for (let i = 0; i < perClass[cls]; i++) out.push(trajectory(domain, cls, rng, `${domain.kind}-${cls}-${String(i).padStart(3, '0')}`))
    }
  }
  return out
}

function call(rng: Rng, action: Action): ToolCall {
  return { id: `call_${rng.hex(24)}`, name: action.name, arguments: action.args, result: action.result }
}

function trajectory(domain: Domain, cls: TaskClass, rng: Rng, id: string): Trajectory {
  const plan = rng.pick(domain.tasks)(rng)
  const [model, modelName] = rng.pick(MODELS)
  const goal = cls === 'benign' ? undefined : rng.pick(domain.goals)(rng)
  const family = cls === 'benign' ? undefined : rng.pick(INJECTION_FAMILIES)
  const injected = goal && family ? family.render(goal.goal, { user: rng.pick(USERS), model: modelName }, rng) : ''
  const turns: Turn[] = []
  let injection: Trajectory['injection'] = null
  plan.reads.forEach((read, index) => {
    const carries = index === plan.inject && injected !== ''
    const c = call(rng, { name: read.name, args: read.args, result: read.result(carries ? injected : '') })
    // a JSON result holds the injection escaped: record it as it sits in the result
    if (carries) injection = { family: family!.name, text: c.result.includes(injected) ? injected : JSON.stringify(injected).slice(1, -1), callId: c.id }
    turns.push({ calls: [c], text: '' })
  })
  const attack = cls === 'succeeded' && goal ? goal.actions.map((a) => call(rng, a)) : []
  const user = plan.actions.map((a) => call(rng, a))
  // a model that follows an injection often does the user's task as well, before or after it
  const completesTask = cls !== 'succeeded' || rng.chance(0.6)
  const acting = completesTask ? (rng.chance(0.5) ? [...attack, ...user] : [...user, ...attack]) : attack
  for (const c of acting) turns.push({ calls: [c], text: '' })
  const note = cls === 'resisted' ? rng.pick(RESISTED_NOTES) : ''
  turns.push({ calls: [], text: completesTask ? `${plan.answer}${note}` : 'Done.' })
  return {
    id, kind: domain.kind, class: cls, agent: domain.agent, model, system: domain.system, request: plan.request, turns, injection,
    attackerValues: cls === 'succeeded' && goal ? goal.values : [],
  }
}
