/**
 * Random agent activity for property tests of the detector: tasks built from a small vocabulary
 * of task, credential, agent and tool names, so two tenants' streams collide on every id the way a
 * hostile tenant would make them, and interleavings of streams. Every task step is a plain object
 * (`Step`) that tests turn into detector events or OTLP spans.
 */
import fc from 'fast-check'

const TASK_IDS = ['t-1', 't-2', 't-3'] as const
const CREDENTIAL_IDS = ['cred-1', 'cred-2'] as const
const AGENT_IDS = ['planner', 'executor'] as const
const TOOLS = ['web.fetch', 'db.query', 'payments.transfer', 'iam.attach_policy', 'crm.export'] as const

type Step =
  | { kind: 'tool'; tool: string; targetTenant: string; credentialId: string; error: boolean }
  | { kind: 'authz'; result: 'allow' | 'deny'; action: string }
  | { kind: 'approval'; result: 'requested' | 'granted' | 'denied'; action: string }
  | { kind: 'credential'; op: 'issued' | 'used' | 'revoked'; credentialId: string; ttlS: number }
  | { kind: 'delegation'; to: string; scopes: string[] }

export interface TaskPlan {
  taskId: string
  agentId: string
  /** Offset of the task's start from the stream's start, ms. */
  startMs: number
  steps: Array<Step & { gapMs: number }>
  ends: boolean
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('tool' as const),
    tool: fc.constantFrom(...TOOLS),
    targetTenant: fc.constantFrom('', 'acme', 'globex', 'initech'),
    credentialId: fc.constantFrom('', ...CREDENTIAL_IDS),
    error: fc.constantFrom(false, false, false, true),
  }),
  fc.record({ kind: fc.constant('authz' as const), result: fc.constantFrom('allow' as const, 'deny' as const), action: fc.constantFrom(...TOOLS) }),
  fc.record({
    kind: fc.constant('approval' as const),
    result: fc.constantFrom('requested' as const, 'granted' as const, 'denied' as const),
    action: fc.constantFrom(...TOOLS),
  }),
  fc.record({
    kind: fc.constant('credential' as const),
    op: fc.constantFrom('issued' as const, 'used' as const, 'revoked' as const),
    credentialId: fc.constantFrom(...CREDENTIAL_IDS),
    ttlS: fc.constantFrom(60, 900, 86_400),
  }),
  fc.record({ kind: fc.constant('delegation' as const), to: fc.constantFrom(...AGENT_IDS), scopes: fc.subarray(['crm:read', 'payments:write', 'iam:admin']) }),
)

const task: fc.Arbitrary<TaskPlan> = fc.record({
  taskId: fc.constantFrom(...TASK_IDS),
  agentId: fc.constantFrom(...AGENT_IDS),
  startMs: fc.integer({ min: 0, max: 120_000 }),
  steps: fc.array(fc.tuple(step, fc.integer({ min: 1, max: 15_000 })).map(([s, gapMs]) => ({ ...s, gapMs })), { minLength: 1, maxLength: 8 }),
  ends: fc.boolean(),
})

/** One tenant's activity: a few tasks, their ids drawn from the shared vocabulary. */
export const activity: fc.Arbitrary<TaskPlan[]> = fc.array(task, { minLength: 1, maxLength: 5 })

/**
 * Interleaves two lists, keeping each one's own order: `choices[i]` picks which list the i-th
 * item comes from while both have items left.
 */
export function interleave<A, B>(a: readonly A[], b: readonly B[], choices: readonly boolean[]): Array<A | B> {
  const out: Array<A | B> = []
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out.push(choices[k++ % Math.max(1, choices.length)] ? a[i++] : b[j++])
  while (i < a.length) out.push(a[i++])
  while (j < b.length) out.push(b[j++])
  return out
}
