/**
 * What a simulated agent does, and the normal task (nothing to flag). Scenarios only record
 * through @privpath/sdk; what privpath makes of it is up to the collector and the rules.
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api'
import type { DemoAgents, Fleet } from './fleet.js'

interface ScenarioContext {
  fleet: Fleet
  /** Three distinct tenants: [home, other, third]. */
  tenants: [string, string, string]
  /** A run-unique id: `${runId}-${label}`. */
  id(label: string): string
  sleep(ms: number): Promise<void>
}

export interface Scenario {
  name: string
  /** Rule ids privpath should raise (empty: a normal task). */
  expects: string[]
  /** Spoofing is only visible when each tenant sends with its own key. */
  requiresTenantKeys?: boolean
  /**
   * Spans two tenants in one isolation domain: with per-tenant keys each key is a domain of its
   * own, so the scenario sends through the deployment's (admin) key, and is skipped without one.
   */
  crossesTenants?: boolean
  /** Returns the task ids it ran. */
  run(ctx: ScenarioContext): Promise<string[]>
}

export const agent = (tenant: string, role: string) => ({
  agentId: `${tenant}-${role}`,
  agentName: role,
  workloadId: `spiffe://${tenant}.example/agents/${role}`,
})

/** A task in a trace of its own, even when started from inside another task. */
export function detachedTask<T>(p: DemoAgents, options: Parameters<DemoAgents['startTask']>[0], fn: () => Promise<T>): Promise<T> {
  return context.with(ROOT_CONTEXT, () => p.startTask(options, fn))
}

/** Mint a short-lived credential the way an agent's token tool would. */
export function mint(p: DemoAgents, tenant: string, id: string, subject: string, scopes: string[], ttlSeconds = 300): Promise<void> {
  return p.toolCall('sts.get_token', { target: { tenant, resource: `https://idp.${tenant}.example/token` } }, async () => {
    p.credentialIssued({ id, type: 'oauth2_access_token', issuer: `https://idp.${tenant}.example`, subject, scopes, ttlSeconds })
  })
}

/** A support agent refunding an invoice with an allowed, short-lived, revoked credential. */
export function normalTask(index: number): Scenario {
  return {
    name: 'normal: refund with an allowed, short-lived credential',
    expects: [],
    async run({ fleet, tenants, id }) {
      const tenant = tenants[index % tenants.length]
      const p = fleet.agents(tenant)
      const support = agent(tenant, 'support')
      const taskId = id(`normal-${index}`)
      const cred = id(`cred-normal-${index}`)
      const invoice = `payments://${tenant}/invoices/${1000 + index}`
      await p.startTask({ taskId, tenantId: tenant, ...support, userId: `customer-${index}` }, async () => {
        p.recordPrompt(`Customer ${index} asks for a refund of invoice ${1000 + index}`, { model: 'gpt-4o-mini' })
        p.reasoningStep()
        await p.toolCall('crm.lookup_customer', { target: { tenant, resource: `crm://${tenant}/customers/${index}` } }, async () => ({ id: index }))
        await mint(p, tenant, cred, support.agentId, ['payments:refund', 'crm:read'])
        if (index % 2 === 1) {
          await p.delegate({ agentId: `${tenant}-billing`, agentName: 'billing', scopes: ['payments:refund'] }, async () => {
            p.recordPrompt('Prepare the refund')
          })
        }
        p.authzDecision({ result: 'allow', action: 'payments.refund', resource: invoice, policy: 'refunds-under-100', engine: 'opa' })
        await p.toolCall('payments.refund', { target: { tenant, resource: invoice }, credentialId: cred }, async () => 'refunded')
        p.credentialRevoked(cred)
      })
      return [taskId]
    },
  }
}
