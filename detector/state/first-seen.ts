/**
 * What one isolation domain has seen, per tenant and agent: the MCP servers and tools each agent
 * used, whom it delegated to, and the definitions of the tools offered to it (the tool
 * inventory). Rules read, as `first_seen`, what about an event is new (judged before the event
 * is learned); the store keeps the facts across restarts (core/store/first-seen.ts), fed through
 * `write` and read back with `load`.
 *
 * Learning: an agent's first `learningTasks` tasks, and its first `learningMs` of event time, only
 * learn — nothing it does is new yet, so a fresh deployment (or a new agent) does not raise one
 * alert per tool. A changed tool definition is judged from its second sighting on, learning or
 * not: a definition changing under an agent is never part of learning its repertoire.
 *
 * Bounded: at most `max` facts (agents included). Beyond it the least recently seen agents leave
 * whole, with what they had used (counted in the evictions metric): such an agent learns again,
 * so the bound errs towards silence, never towards calling old habits new. Facts are looked up by
 * the event's own strings in per-tenant and per-agent maps: every event passes through here, and
 * a key built per look-up would be hashed anew each time.
 */
import type { PrivpathEvent } from '../../core/event.js'
import type { FactKind, FirstSeenRow } from '../../core/store/first-seen.js'

export type { FirstSeenRow }

/** A tool whose definition differs from every one seen before for the same agent, server and name. */
interface DefinitionChange {
  server: string
  tool: string
  old_hash: string
  new_hash: string
  /** The definitions (canonical JSON, cut at 512 characters; '' without content capture). */
  old: string
  new: string
}

export interface FirstSeenContext {
  /** The event's agent is in its learning period: nothing it does counts as new. */
  learning: boolean
  /** An MCP span to a server this agent never talked to. */
  mcp_server: boolean
  /** A tool_invocation of a tool (by name) this agent never called. */
  tool: boolean
  /** A delegation from this agent to an agent it never delegated to. */
  delegation_edge: boolean
  /** Offered tools whose definition changed (any event listing tool definitions). */
  definition_changes: DefinitionChange[]
}

/** Every context has this one shape (rules read it on most events: one hidden class keeps their reads fast). */
function context(learning: boolean, mcpServer: boolean, tool: boolean, delegationEdge: boolean, changes: DefinitionChange[]): FirstSeenContext {
  return { learning, mcp_server: mcpServer, tool, delegation_edge: delegationEdge, definition_changes: changes }
}

const NO_CHANGES: DefinitionChange[] = []
/** Shared by the events first-seen does not judge; never changed (rules only read it). */
export const NOTHING_NEW: FirstSeenContext = context(false, false, false, false, NO_CHANGES)
const LEARNING: FirstSeenContext = context(true, false, false, false, NO_CHANGES)

export interface FirstSeenLimits {
  learningTasks: number
  learningMs: number
  max: number
}

/** Where the collector puts the digest of offered tools (collector/mapping/mcp.ts). */
const DEFINITIONS_ATTRIBUTE = 'privpath.tool_definitions'
/** A fact seen again is written again at most this often (event time), which keeps it inside the store's TTL. */
const REFRESH_MS = 86_400_000
/** Definitions remembered per tool: flapping between known definitions (two servers, one name) is no change. */
const HASHES_PER_TOOL = 4
/** Evicting makes room for this share of `max` at once, so a full domain does not evict on every new fact. */
const EVICT_TO = 0.9
const NO_TASKS: readonly string[] = Object.freeze([])
const NO_OFFERS: Offered[] = []

interface Fact {
  first_seen: number
  /** seen_at of the row last written for it. */
  written: number
}

interface Definitions extends Fact {
  /** Most recent first: `[hash, definition, seen]`. */
  known: Array<{ hash: string; definition: string; seen: number }>
}

interface Agent extends Fact {
  tenant: string
  id: string
  established: boolean
  /** Its first tasks, until `learningTasks` of them were seen. */
  tasks: string[]
  /** Event time of its latest event (which agents leave first). */
  last: number
  servers: Map<string, Fact>
  tools: Map<string, Fact>
  delegates: Map<string, Fact>
  /** By `server\0tool`. */
  definitions: Map<string, Definitions>
}

interface Offered {
  name: string
  hash: string
  definition: string
}

/** The MCP server an MCP span talks to, '' for any other event. */
function mcpServer(event: PrivpathEvent): string {
  return event.attributes['mcp.method.name'] === undefined ? '' : event.target_resource
}

export class FirstSeen {
  private readonly tenants = new Map<string, Map<string, Agent>>()
  private facts = 0
  /** The offered tools of the event judged last, parsed once for judge and learn. */
  private offeredEvent: PrivpathEvent | undefined
  private offeredTools: Offered[] = []

  constructor(
    private readonly domain: string,
    private readonly limits: FirstSeenLimits,
    private readonly write: ((row: FirstSeenRow) => void) | undefined,
    private readonly evicted: (count: number) => void,
  ) {}

  get size(): number {
    return this.facts
  }

  /** What about the event is new, before it is learned. */
  judge(event: PrivpathEvent): FirstSeenContext {
    if (event.agent_id === '') return NOTHING_NEW
    const server = mcpServer(event)
    const offered = this.offered(event)
    if (server === '' && offered.length === 0 && event.kind !== 'tool_invocation' && event.kind !== 'delegation') return NOTHING_NEW
    const agent = this.tenants.get(event.tenant_id)?.get(event.agent_id)
    const changes = agent === undefined || offered.length === 0 ? NO_CHANGES : changedDefinitions(agent, server, offered)
    if (this.learning(agent, event)) return changes.length === 0 ? LEARNING : context(true, false, false, false, changes)
    return context(
      false,
      server !== '' && agent?.servers.has(server) !== true,
      event.kind === 'tool_invocation' && event.tool_name !== '' && agent?.tools.has(event.tool_name) !== true,
      event.kind === 'delegation' && event.delegate_agent_id !== '' && agent?.delegates.has(event.delegate_agent_id) !== true,
      changes,
    )
  }

  /** Folds the event in (after the rules judged it). */
  learn(event: PrivpathEvent): void {
    if (event.agent_id === '') return
    const agent = this.learnAgent(event)
    const ts = event.ts
    const server = mcpServer(event)
    if (server !== '') this.note(agent, 'mcp_server', agent.servers, server, ts)
    if (event.kind === 'tool_invocation' && event.tool_name !== '') this.note(agent, 'tool', agent.tools, event.tool_name, ts)
    if (event.kind === 'delegation' && event.delegate_agent_id !== '') this.note(agent, 'delegation_edge', agent.delegates, event.delegate_agent_id, ts)
    for (const tool of this.offered(event)) this.noteDefinition(agent, server, tool, ts)
    this.bound()
  }

  /** Facts from the store (oldest first); facts already known keep what they know and gain what the rows add. */
  load(row: FirstSeenRow): void {
    const agent = this.agent(row.tenant_id, row.subject, row.first_seen)
    agent.first_seen = Math.min(agent.first_seen, row.first_seen)
    agent.last = Math.max(agent.last, row.seen_at)
    switch (row.kind) {
      case 'agent':
        agent.established ||= row.hash === 'established'
        break
      case 'mcp_server':
      case 'tool':
      case 'delegation_edge': {
        const facts = row.kind === 'mcp_server' ? agent.servers : row.kind === 'tool' ? agent.tools : agent.delegates
        if (!facts.has(row.object)) this.add(facts, row.object, { first_seen: row.first_seen, written: row.seen_at })
        break
      }
      case 'tool_definition': {
        const known = this.definitionsOf(agent, row.object, row.first_seen)
        if (!known.known.some((d) => d.hash === row.hash)) remember(known, row.hash, row.detail, row.seen_at)
      }
    }
    this.bound()
  }

  /** Among its first `learningTasks` tasks, or within `learningMs` of its first event (undefined: an agent never seen); a task first seen after both ends it. */
  private learning(agent: Agent | undefined, event: PrivpathEvent): boolean {
    if (agent?.established) return false
    if (event.ts - (agent?.first_seen ?? event.ts) < this.limits.learningMs) return true
    const tasks = agent?.tasks ?? NO_TASKS
    return tasks.includes(event.task_id) || tasks.length < this.limits.learningTasks
  }

  private learnAgent(event: PrivpathEvent): Agent {
    const { tenant_id: tenant, agent_id: id, ts } = event
    const known = this.tenants.get(tenant)?.get(id)
    const agent = known ?? this.agent(tenant, id, ts)
    if (known === undefined) this.emit(agent, 'agent', '', 'learning', '', ts)
    if (ts > agent.last) agent.last = ts
    if (agent.established) {
      if (ts - agent.written >= REFRESH_MS) this.emit(agent, 'agent', '', 'established', '', ts)
    } else if (this.learning(agent, event)) {
      if (event.task_id !== '' && !agent.tasks.includes(event.task_id)) agent.tasks.push(event.task_id)
    } else {
      agent.established = true
      agent.tasks = []
      this.emit(agent, 'agent', '', 'established', '', ts)
    }
    return agent
  }

  private note(agent: Agent, kind: FactKind, facts: Map<string, Fact>, object: string, ts: number): void {
    const fact = facts.get(object)
    if (fact === undefined) {
      this.add(facts, object, { first_seen: ts, written: ts })
      this.emit(agent, kind, object, '', '', ts, ts)
    } else if (ts - fact.written >= REFRESH_MS) {
      fact.written = ts
      this.emit(agent, kind, object, '', '', ts, fact.first_seen)
    }
  }

  private noteDefinition(agent: Agent, server: string, tool: Offered, ts: number): void {
    const object = `${server}\u0000${tool.name}`
    const fact = this.definitionsOf(agent, object, ts)
    const known = fact.known.find((d) => d.hash === tool.hash)
    if (known !== undefined && ts - known.seen < REFRESH_MS) return
    if (known === undefined) remember(fact, tool.hash, tool.definition, ts)
    else known.seen = ts
    this.emit(agent, 'tool_definition', object, tool.hash, known?.definition ?? tool.definition, ts, fact.first_seen)
  }

  private agent(tenant: string, id: string, ts: number): Agent {
    let agents = this.tenants.get(tenant)
    if (agents === undefined) this.tenants.set(tenant, (agents = new Map()))
    let agent = agents.get(id)
    if (agent === undefined) {
      agent = { tenant, id, first_seen: ts, written: ts, last: ts, established: false, tasks: [], servers: new Map(), tools: new Map(), delegates: new Map(), definitions: new Map() }
      agents.set(id, agent)
      this.facts++
    }
    return agent
  }

  private definitionsOf(agent: Agent, object: string, ts: number): Definitions {
    let fact = agent.definitions.get(object)
    if (fact === undefined) this.add(agent.definitions, object, (fact = { first_seen: ts, written: ts, known: [] }))
    return fact
  }

  private add<F extends Fact>(facts: Map<string, F>, key: string, fact: F): void {
    facts.set(key, fact)
    this.facts++
  }

  /** Over `max` facts: the least recently seen agents leave, whole, until EVICT_TO of it is left. */
  private bound(): void {
    if (this.facts <= this.limits.max) return
    const agents = [...this.tenants.values()].flatMap((byId) => [...byId.values()]).sort((a, b) => a.last - b.last)
    let evicted = 0
    for (const agent of agents) {
      if (this.facts <= this.limits.max * EVICT_TO) break
      const size = 1 + agent.servers.size + agent.tools.size + agent.delegates.size + agent.definitions.size
      this.tenants.get(agent.tenant)?.delete(agent.id)
      this.facts -= size
      evicted += size
    }
    this.evicted(evicted)
  }

  private offered(event: PrivpathEvent): Offered[] {
    if (this.offeredEvent !== event) {
      const raw = event.attributes[DEFINITIONS_ATTRIBUTE]
      this.offeredEvent = event
      this.offeredTools = raw === undefined ? NO_OFFERS : parseOffered(raw)
    }
    return this.offeredTools
  }

  private emit(agent: Agent, kind: FactKind, object: string, hash: string, detail: string, ts: number, firstSeen = agent.first_seen): void {
    if (kind === 'agent') agent.written = ts
    this.write?.({ domain: this.domain, tenant_id: agent.tenant, kind, subject: agent.id, object, hash, detail, first_seen: firstSeen, seen_at: ts })
  }
}

function parseOffered(raw: string): Offered[] {
  try {
    const parsed = JSON.parse(raw) as unknown
    return Array.isArray(parsed) ? parsed.filter((d): d is Offered => typeof d?.name === 'string' && typeof d?.hash === 'string') : []
  } catch {
    return []
  }
}

/** Changed definitions of the tools an event offers, against what was known before it. */
function changedDefinitions(agent: Agent, server: string, offered: readonly Offered[]): DefinitionChange[] {
  let changes: DefinitionChange[] | undefined
  for (const tool of offered) {
    const fact = agent.definitions.get(`${server}\u0000${tool.name}`)
    const latest = fact?.known[0]
    if (latest === undefined || fact!.known.some((d) => d.hash === tool.hash)) continue
    ;(changes ??= []).push({ server, tool: tool.name, old_hash: latest.hash, new_hash: tool.hash, old: latest.definition, new: tool.definition })
  }
  return changes ?? NO_CHANGES
}

function remember(fact: Definitions, hash: string, definition: string, seen: number): void {
  fact.known.unshift({ hash, definition, seen })
  if (fact.known.length > HASHES_PER_TOOL) fact.known.length = HASHES_PER_TOOL
  fact.written = seen
}
