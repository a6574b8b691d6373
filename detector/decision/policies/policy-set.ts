/**
 * A loaded Cedar policy set, evaluated per proposed step. Cedar is default-deny; privpath's set
 * guards a runtime whose default is to run the tool, so by default an implicit
 * `permit(principal, action, resource);` is added and only `forbid` policies deny
 * (`policy_default: 'deny'` leaves it out: a call no permit matches is denied by `default-deny`).
 * The set is preparsed once into cedar-wasm's cache, so a call parses only the request.
 */
import { createHash } from 'node:crypto'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import type { EntityJson, PolicyJson, StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs'
import type { PolicyDenial, PolicyInput, PolicyVerdict } from '../policy-input.js'
import { addReads, appliesTo, emptyReads, project, type Reads } from './analysis.js'
import { PRINCIPAL, RESOURCE } from './schema.js'

export type PolicyDefault = 'allow' | 'deny'
export type PolicyMode = 'enforce' | 'shadow'

export interface LoadedPolicy {
  /** `@id`, else `<file name>#<n>` (n counts the file's policies from 1). */
  id: string
  effect: 'permit' | 'forbid'
  mode: PolicyMode
  /** `@reason`, else the id. */
  reason: string
  /** Its Cedar text, as written (leading comments included). */
  text: string
  json: PolicyJson
  file: string
  line: number
}

const MAX_CACHED_ACTIONS = 4_096
const BASELINE_ID = 'privpath-baseline-permit'
const BASELINE = 'permit(principal, action, resource);'
const DEFAULT_DENY_ID = 'default-deny'
/** Ids the set uses itself: a policy may not take them. */
export const RESERVED_IDS: readonly string[] = [BASELINE_ID, DEFAULT_DENY_ID]

const DEFAULT_DENIAL: PolicyDenial = {
  id: DEFAULT_DENY_ID,
  mode: 'enforce',
  reason: 'no policy permits this call (decision.policy_default: deny)',
}

/**
 * cedar-wasm keeps preparsed sets for the life of the thread, with no way to drop one. Naming a
 * set by its content means reloading an unchanged set reuses its entry, and two live PolicySets
 * can never see each other's policies; each distinct edit stays cached (a few KB).
 */
function preparse(policies: Record<string, string>, label: string): string {
  const id = `${label}:${createHash('sha256').update(JSON.stringify(policies)).digest('hex')}`
  const answer = cedar.preparsePolicySet(id, { staticPolicies: policies })
  if (answer.type === 'failure') throw new Error(`cedar policy set does not parse: ${answer.errors.map((e) => e.message).join('; ')}`)
  return id
}

export class PolicySet {
  readonly policies: readonly LoadedPolicy[]
  readonly policyDefault: PolicyDefault
  /** Policies by id, with their place in the set: denials come in that order, not Cedar's (a hash order). */
  private readonly byId: Map<string, { policy: LoadedPolicy; order: number }>
  private readonly setId: string
  /** Under default deny: the permits alone, to tell whether a call only shadow forbids deny would be permitted. */
  private readonly permitsId: string | undefined
  /** What the policies that can apply to an action read, by action (tool names are few). */
  private readonly reads = new Map<string, Reads>()

  constructor(policies: readonly LoadedPolicy[], options: { policyDefault?: PolicyDefault } = {}) {
    this.policies = policies
    this.policyDefault = options.policyDefault ?? 'allow'
    this.byId = new Map(policies.map((policy, order) => [policy.id, { policy, order }]))
    const texts = Object.fromEntries(policies.map((p) => [p.id, p.text]))
    if (this.policyDefault === 'allow') {
      this.setId = preparse({ ...texts, [BASELINE_ID]: BASELINE }, 'allow')
    } else {
      this.setId = preparse(texts, 'deny')
      this.permitsId = preparse(Object.fromEntries(policies.filter((p) => p.effect === 'permit').map((p) => [p.id, p.text])), 'permits')
    }
  }

  get size(): number {
    return this.policies.length
  }

  ids(): string[] {
    return this.policies.map((p) => p.id)
  }

  evaluate(input: PolicyInput): PolicyVerdict {
    const call = this.request(input)
    const answer = cedar.statefulIsAuthorized(call)
    if (answer.type === 'failure') return { denials: [], errors: answer.errors.map((e) => `policy set: ${e.message}`) }
    const { decision, diagnostics } = answer.response
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`)
    if (decision === 'allow') return { denials: [], errors }
    // a deny's reasons are the forbids that matched: none means no permit did
    const order = (id: string) => this.byId.get(id)?.order ?? -1
    const denials = [...diagnostics.reason].sort((a, b) => order(a) - order(b)).map((id) => this.denial(id))
    if (this.permitsId !== undefined && denials.every((d) => d.mode === 'shadow') && (denials.length === 0 || !this.permitted(call))) {
      denials.push(DEFAULT_DENIAL)
    }
    return { denials, errors }
  }

  private permitted(call: StatefulAuthorizationCall): boolean {
    const answer = cedar.statefulIsAuthorized({ ...call, preparsedPolicySetId: this.permitsId as string })
    return answer.type === 'success' && answer.response.decision === 'allow'
  }

  private denial(id: string): PolicyDenial {
    const policy = this.byId.get(id)?.policy
    return { id, mode: policy?.mode ?? 'enforce', reason: policy?.reason ?? id }
  }

  private readsFor(action: string): Reads {
    let reads = this.reads.get(action)
    if (!reads) {
      reads = emptyReads()
      for (const p of this.policies) if (appliesTo(p.json, action)) addReads(reads, p.json)
      // tool names come from agents: bound the cache should one invent names without end
      if (this.reads.size >= MAX_CACHED_ACTIONS) this.reads.clear()
      this.reads.set(action, reads)
    }
    return reads
  }

  private request(input: PolicyInput): StatefulAuthorizationCall {
    const reads = this.readsFor(input.action)
    const principal = { type: PRINCIPAL.name, id: input.principal.id }
    const resource = { type: RESOURCE.name, id: input.resource.id }
    const entities: EntityJson[] = []
    // an entity whose attributes no policy reads need not cross into wasm
    if (reads.principal.all || reads.principal.attrs.size > 0) {
      const { name, workload } = input.principal
      entities.push({ uid: principal, attrs: project({ name, workload }, reads.principal) as EntityJson['attrs'], parents: [] })
    }
    if (reads.resource.all || reads.resource.attrs.size > 0) {
      const { tenant } = input.resource
      entities.push({ uid: resource, attrs: project({ tenant }, reads.resource) as EntityJson['attrs'], parents: [] })
    }
    return {
      principal,
      action: { type: 'Action', id: input.action },
      resource,
      context: project(input.context as unknown as Record<string, unknown>, reads.context) as StatefulAuthorizationCall['context'],
      entities,
      preparsedPolicySetId: this.setId,
    }
  }
}
