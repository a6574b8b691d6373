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
 * Bounded: at most `max` facts (LRU, touched on every sighting); one pushed out reads as new
 * again (counted in the evictions metric).
 */
import type { PrivpathEvent } from '../../core/event.js'
import type { FactKind, FirstSeenRow } from '../../core/store/first-seen.js'
import { LruMap } from './lru.js'

export type { FactKind, FirstSeenRow }

/** A tool whose definition differs from every one seen before for the same agent, server and name. */
export interface DefinitionChange {
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

export const NOTHING_NEW: FirstSeenContext = Object.freeze({
  learning: false,
  mcp_server: false,
  tool: false,
  delegation_edge: false,
  definition_changes: Object.freeze([]) as unknown as DefinitionChange[],
}) as FirstSeenContext

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

interface Fact {
  first_seen: number
  /** seen_at of the row last written for it. */
  written: number
}

interface AgentFact extends Fact {
  established: boolean
  /** Its first tasks, until `learningTasks` of them were seen. */
  tasks: string[]
}

interface Definition {
  hash: string
  definition: string
  seen: number
}

interface DefinitionsFact extends Fact {
  /** Most recent first. */
  known: Definition[]
}

type AnyFact = Fact | AgentFact | DefinitionsFact

interface Offered {
  name: string
  hash: string
  definition: string
}

function offeredTools(event: PrivpathEvent): Offered[] {
  const raw = event.attributes[DEFINITIONS_ATTRIBUTE]
  if (raw === undefined) return []
  try {
    const parsed = JSON.parse(raw) as unknown
    return Array.isArray(parsed) ? parsed.filter((d): d is Offered => typeof d?.name === 'string' && typeof d?.hash === 'string') : []
  } catch {
    return []
  }
}

/** The MCP server an MCP span talks to, '' for any other event. */
function mcpServer(event: PrivpathEvent): string {
  return event.attributes['mcp.method.name'] === undefined ? '' : event.target_resource
}

const key = (kind: FactKind, tenant: string, subject: string, object: string, hash = ''): string => `${kind}\u0000${tenant}\u0000${subject}\u0000${object}\u0000${hash}`

export class FirstSeen {
  private readonly facts = new LruMap<AnyFact>()

  constructor(
    private readonly domain: string,
    private readonly limits: () => FirstSeenLimits,
    private readonly write: ((row: FirstSeenRow) => void) | undefined,
    private readonly evicted: (count: number) => void,
  ) {}

  get size(): number {
    return this.facts.size
  }

  /** What about the event is new, before it is learned. */
  judge(event: PrivpathEvent): FirstSeenContext {
    if (event.agent_id === '') return NOTHING_NEW
    const server = mcpServer(event)
    const offered = offeredTools(event)
    const relevant = server !== '' || offered.length > 0 || event.kind === 'tool_invocation' || event.kind === 'delegation'
    if (!relevant) return NOTHING_NEW
    const tenant = event.tenant_id
    const agent = event.agent_id
    const changes = this.changes(tenant, agent, server, offered)
    if (this.learning(event)) return { ...NOTHING_NEW, learning: true, definition_changes: changes }
    return {
      learning: false,
      mcp_server: server !== '' && !this.facts.has(key('mcp_server', tenant, agent, server)),
      tool: event.kind === 'tool_invocation' && event.tool_name !== '' && !this.facts.has(key('tool', tenant, agent, event.tool_name)),
      delegation_edge: event.kind === 'delegation' && event.delegate_agent_id !== '' && !this.facts.has(key('delegation_edge', tenant, agent, event.delegate_agent_id)),
      definition_changes: changes,
    }
  }

  /** Folds the event in (after the rules judged it). */
  learn(event: PrivpathEvent): void {
    const agent = event.agent_id
    if (agent === '') return
    const tenant = event.tenant_id
    const ts = event.ts
    this.learnAgent(event)
    const server = mcpServer(event)
    if (server !== '') this.note('mcp_server', tenant, agent, server, ts)
    if (event.kind === 'tool_invocation' && event.tool_name !== '') this.note('tool', tenant, agent, event.tool_name, ts)
    if (event.kind === 'delegation' && event.delegate_agent_id !== '') this.note('delegation_edge', tenant, agent, event.delegate_agent_id, ts)
    for (const tool of offeredTools(event)) this.noteDefinition(tenant, agent, server, tool, ts)
  }

  /** Facts from the store (oldest first); facts already known keep what they know and gain what the rows add. */
  load(row: FirstSeenRow): void {
    const { tenant_id: tenant, subject, object } = row
    switch (row.kind) {
      case 'agent': {
        const fact = this.agent(tenant, subject) ?? { first_seen: row.first_seen, written: row.seen_at, established: false, tasks: [] }
        fact.first_seen = Math.min(fact.first_seen, row.first_seen)
        fact.established ||= row.hash === 'established'
        this.put(key('agent', tenant, subject, ''), fact)
        return
      }
      case 'tool_definition': {
        const [server, tool] = splitObject(object)
        const id = key('tool_definition', tenant, subject, `${server}\u0000${tool}`)
        const fact = (this.facts.get(id) as DefinitionsFact | undefined) ?? { first_seen: row.first_seen, written: row.seen_at, known: [] }
        if (!fact.known.some((d) => d.hash === row.hash)) remember(fact, { hash: row.hash, definition: row.detail, seen: row.seen_at })
        this.put(id, fact)
        return
      }
      default: {
        const id = key(row.kind, tenant, subject, object)
        const fact = this.facts.get(id) ?? { first_seen: row.first_seen, written: row.seen_at }
        this.put(id, fact)
      }
    }
  }

  private agent(tenant: string, agent: string): AgentFact | undefined {
    return this.facts.get(key('agent', tenant, agent, '')) as AgentFact | undefined
  }

  /**
   * Whether the event's agent is still learning: among its first `learningTasks` tasks, or within
   * `learningMs` of its first event. A task it is first seen in after that ends its learning.
   */
  private learning(event: PrivpathEvent): boolean {
    const fact = this.agent(event.tenant_id, event.agent_id)
    if (fact?.established) return false
    const { learningTasks, learningMs } = this.limits()
    const firstSeen = fact?.first_seen ?? event.ts
    const tasks = fact?.tasks ?? []
    if (event.ts - firstSeen < learningMs) return true
    if (tasks.includes(event.task_id)) return true
    return tasks.length + (event.task_id === '' ? 0 : 1) <= learningTasks
  }

  private learnAgent(event: PrivpathEvent): void {
    const { tenant_id: tenant, agent_id: agent, ts } = event
    const id = key('agent', tenant, agent, '')
    let fact = this.facts.get(id) as AgentFact | undefined
    if (fact?.established) {
      this.touch(id, fact, 'agent', tenant, agent, '', 'established', '', ts)
      return
    }
    const learning = this.learning(event)
    if (fact === undefined) {
      fact = { first_seen: ts, written: ts, established: false, tasks: [] }
      this.emit('agent', tenant, agent, '', 'learning', '', fact.first_seen, ts)
    }
    if (learning) {
      if (event.task_id !== '' && !fact.tasks.includes(event.task_id)) fact.tasks.push(event.task_id)
    } else {
      fact.established = true
      fact.tasks = []
      fact.written = ts
      this.emit('agent', tenant, agent, '', 'established', '', fact.first_seen, ts)
    }
    this.put(id, fact)
  }

  private note(kind: FactKind, tenant: string, subject: string, object: string, ts: number): void {
    const id = key(kind, tenant, subject, object)
    const fact = this.facts.get(id)
    if (fact !== undefined) {
      this.touch(id, fact, kind, tenant, subject, object, '', '', ts)
      return
    }
    this.put(id, { first_seen: ts, written: ts })
    this.emit(kind, tenant, subject, object, '', '', ts, ts)
  }

  private noteDefinition(tenant: string, agent: string, server: string, tool: Offered, ts: number): void {
    const object = `${server}\u0000${tool.name}`
    const id = key('tool_definition', tenant, agent, object)
    const fact = (this.facts.get(id) as DefinitionsFact | undefined) ?? { first_seen: ts, written: ts, known: [] }
    const known = fact.known.find((d) => d.hash === tool.hash)
    if (known === undefined) {
      remember(fact, { hash: tool.hash, definition: tool.definition, seen: ts })
      fact.written = ts
      this.emit('tool_definition', tenant, agent, object, tool.hash, tool.definition, fact.first_seen, ts)
    } else if (ts - known.seen >= REFRESH_MS) {
      known.seen = ts
      fact.written = ts
      this.emit('tool_definition', tenant, agent, object, tool.hash, known.definition, fact.first_seen, ts)
    }
    this.put(id, fact)
  }

  /** Changed definitions of the tools an event offers, against what was known before it. */
  private changes(tenant: string, agent: string, server: string, offered: readonly Offered[]): DefinitionChange[] {
    let changes: DefinitionChange[] | undefined
    for (const tool of offered) {
      const fact = this.facts.get(key('tool_definition', tenant, agent, `${server}\u0000${tool.name}`)) as DefinitionsFact | undefined
      const latest = fact?.known[0]
      if (latest === undefined || fact!.known.some((d) => d.hash === tool.hash)) continue
      ;(changes ??= []).push({ server, tool: tool.name, old_hash: latest.hash, new_hash: tool.hash, old: latest.definition, new: tool.definition })
    }
    return changes ?? NOTHING_NEW.definition_changes
  }

  /** A known fact seen again: most recently used, and written again once a day so the store keeps it. */
  private touch(id: string, fact: AnyFact, kind: FactKind, tenant: string, subject: string, object: string, hash: string, detail: string, ts: number): void {
    if (ts - fact.written >= REFRESH_MS) {
      fact.written = ts
      this.emit(kind, tenant, subject, object, hash, detail, fact.first_seen, ts)
    }
    this.put(id, fact)
  }

  private put(id: string, fact: AnyFact): void {
    this.facts.set(id, fact)
    let evicted = 0
    while (this.facts.size > this.limits().max) {
      const oldest = this.facts.oldest()
      if (!oldest) break
      this.facts.delete(oldest[0])
      evicted++
    }
    if (evicted > 0) this.evicted(evicted)
  }

  private emit(kind: FactKind, tenant: string, subject: string, object: string, hash: string, detail: string, firstSeen: number, ts: number): void {
    this.write?.({ domain: this.domain, tenant_id: tenant, kind, subject, object, hash, detail, first_seen: firstSeen, seen_at: ts })
  }
}

function remember(fact: DefinitionsFact, definition: Definition): void {
  fact.known.unshift(definition)
  if (fact.known.length > HASHES_PER_TOOL) fact.known.length = HASHES_PER_TOOL
}

function splitObject(object: string): [string, string] {
  const at = object.indexOf('\u0000')
  return at === -1 ? ['', object] : [object.slice(0, at), object.slice(at + 1)]
}
