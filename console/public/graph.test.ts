/** The privilege-path graph model: which steps become which edges, and what turns them red. */
import { describe, expect, it } from 'vitest'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
// @ts-expect-error plain browser module without type declarations
import { buildGraph } from './graph.js'

interface Edge { source: string; relation: string; target: string; crossTenant: boolean; alerting: boolean; steps: number }
interface Graph { nodes: Array<{ key: string; alerting: boolean; foreign: boolean; label: string }>; edges: Edge[] }

let n = 0
const ev = (fields: Partial<PrivpathEvent>): PrivpathEvent => ({ ...emptyEvent(), tenant_id: 'acme', task_id: 't', agent_id: 'a1', agent_name: 'planner', event_id: `e${++n}`, ...fields })
const task = { tenant_id: 'acme' }
const alert = (rule: string, eventIds: string[], tags: string[] = []) => ({ rule_id: rule, event_ids: eventIds, tags })
const edgesOf = (g: Graph) => g.edges.map((e) => `${e.source} -${e.relation}-> ${e.target}${e.crossTenant ? ' [x]' : ''}${e.alerting ? ' [!]' : ''} ×${e.steps}`)

describe('buildGraph', () => {
  it('draws invoked, targets, issued, used and delegated steps, once per distinct step', () => {
    const events = [
      ev({ kind: 'credential_issued', credential_id: 'c1', credential_type: 'oauth' }),
      ev({ kind: 'tool_invocation', tool_name: 'db.query', target_resource: 'db://acme/orders' }),
      ev({ kind: 'tool_invocation', tool_name: 'db.query', target_resource: 'db://acme/orders' }),
      ev({ kind: 'credential_used', credential_id: 'c1', tool_name: 'db.query' }),
      ev({ kind: 'delegation', delegate_agent_id: 'a2', delegate_agent_name: 'executor' }),
      ev({ kind: 'prompt', content: 'hello' }),
    ]
    const graph = buildGraph(task, events, []) as Graph
    expect(edgesOf(graph)).toEqual([
      'credential:c1 -issued-> agent:a1 ×1',
      'agent:a1 -invoked-> tool:db.query ×2',
      'tool:db.query -targets-> resource:db://acme/orders ×2',
      'credential:c1 -used-> tool:db.query ×1',
      'agent:a1 -delegated-> agent:a2 ×1',
    ])
    expect(graph.nodes.find((x) => x.key === 'agent:a2')?.label).toBe('executor')
    expect(graph.nodes.find((x) => x.key === 'credential:c1')?.label).toBe('c1 (oauth)')
    expect(graph.nodes.some((x) => x.alerting || x.foreign)).toBe(false)
  })

  it('marks a call into another tenant cross-tenant, and the steps an alert names as alerting', () => {
    const call = ev({ kind: 'tool_invocation', tool_name: 'crm.lookup', target_resource: 'crm://globex/7', target_tenant: 'globex' })
    const home = ev({ kind: 'tool_invocation', tool_name: 'crm.lookup', target_tenant: 'acme' })
    const graph = buildGraph(task, [call, home], [alert('cross-tenant-tool-routing', [call.event_id], ['tenant-isolation'])]) as Graph
    expect(edgesOf(graph)).toEqual([
      'agent:a1 -invoked-> tool:crm.lookup [!] ×2',
      'tool:crm.lookup -targets-> resource:crm://globex/7 [x] [!] ×1',
      'resource:crm://globex/7 -targets-> tenant:globex [x] [!] ×1',
      'tool:crm.lookup -targets-> tenant:acme ×1',
    ])
    expect(graph.nodes.find((x) => x.key === 'tenant:globex')).toMatchObject({ foreign: true, alerting: true })
    expect(graph.nodes.find((x) => x.key === 'tenant:acme')).toMatchObject({ foreign: false, alerting: false })
  })

  it("marks a credential use cross-tenant when a tenant-isolation alert names it (the event alone cannot tell)", () => {
    const use = ev({ kind: 'credential_used', credential_id: 'c-other', tool_name: 'crm.export' })
    const plain = buildGraph(task, [use], []) as Graph
    expect(plain.edges[0].crossTenant).toBe(false)
    const flagged = buildGraph(task, [use], [alert('credential-cross-tenant-use', [use.event_id], ['credential', 'tenant-isolation'])]) as Graph
    expect(flagged.edges[0]).toMatchObject({ crossTenant: true, alerting: true })
    expect(flagged.nodes.find((x) => x.key === 'credential:c-other')?.alerting).toBe(true)
    const spoofed = buildGraph(task, [{ ...use, flags: ['tenant_mismatch'] }], []) as Graph
    expect(spoofed.edges[0].crossTenant).toBe(true)
  })
})
