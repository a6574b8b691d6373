import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { eventId } from '../../core/event.js'
import type { Attributes } from '../otlp/model.js'
import { logRecord, logRequest, span, traceRequest, type SpanInit } from '../../testkit/otlp-builders.js'
import { mapLogRequest, mapTraceRequest, type SpanRecord } from '../mapping/index.js'
import { Correlator, recordBytes } from './correlator.js'

const T0 = 1_700_000_000_000
const TRACE = 'aaaabbbbccccddddeeeeffff00001111'

function records(spans: SpanInit[], options: { authTenant?: string } = {}): SpanRecord[] {
  return mapTraceRequest(traceRequest(spans.map((init) => span({ traceId: TRACE, startMs: T0, ...init }))), { observedAt: T0, ...options })
}

function correlator(overrides: Partial<ConstructorParameters<typeof Correlator>[0]> = {}) {
  return new Correlator({ graceWindowMs: 30_000, maxHeldSpans: 1_000, maxKnownSpans: 10_000, ...overrides })
}

function tasksBySpan(out: SpanRecord[]): Record<string, string> {
  return Object.fromEntries(out.map((record) => [record.spanId, record.events[0].task_id]))
}

const kinds = (record: SpanRecord) => record.events.map((event) => event.kind)
const task = (id: string): Attributes => ({ 'agent.task.id': id })

describe('Correlator: task resolution', () => {
  it('resolves child-before-parent inside one batch without holding', () => {
    const c = correlator()
    const out = c.add(
      records([
        { spanId: 'c1', parentSpanId: 'p1' },
        { spanId: 'g1', parentSpanId: 'c1' },
        { spanId: 'p1', attributes: task('task-A') },
      ]),
      T0,
    )
    expect(c.held()).toBe(0)
    expect(tasksBySpan(out)).toEqual({ c1: 'task-A', g1: 'task-A', p1: 'task-A' })
    for (const record of out) for (const event of record.events) expect(event.flags).toEqual([])
  })

  it('inherits through a parent chain 3 levels deep across batches', () => {
    const c = correlator()
    c.add(records([{ spanId: 'r', attributes: task('task-R') }]), T0)
    c.add(records([{ spanId: 'l1', parentSpanId: 'r' }]), T0 + 1)
    c.add(records([{ spanId: 'l2', parentSpanId: 'l1' }]), T0 + 2)
    const [l3] = c.add(records([{ spanId: 'l3', parentSpanId: 'l2' }]), T0 + 3)
    expect(l3.events[0].task_id).toBe('task-R')
  })

  it('holds a child whose parent is unknown and releases it when the parent arrives in a later batch', () => {
    const c = correlator()
    expect(c.add(records([{ spanId: 'child', parentSpanId: 'root' }]), T0)).toEqual([])
    expect(c.held()).toBe(1)
    const out = c.add(records([{ spanId: 'root', attributes: task('task-B') }]), T0 + 10_000)
    expect(c.held()).toBe(0)
    expect(tasksBySpan(out)).toEqual({ root: 'task-B', child: 'task-B' })
    expect(out.find((record) => record.spanId === 'child')!.events[0].flags).toEqual(['late_parent'])
    // The root's own event is its task_start (task-boundaries.ts): the only event it has.
    expect(out.find((record) => record.spanId === 'root')!.events.map((event) => [event.kind, event.flags])).toEqual([['task_start', []]])
  })

  it('places a held span by its fallback when the window expires, flagged orphan', () => {
    const c = correlator({ graceWindowMs: 5_000 })
    c.add(records([{ spanId: 'x', parentSpanId: 'missing', attributes: { 'gen_ai.conversation.id': 'conv-9' } }]), T0)
    c.add(records([{ spanId: 'y', parentSpanId: 'missing' }]), T0 + 1_000)
    expect(c.expire(T0 + 4_999)).toEqual([])
    const first = c.expire(T0 + 5_000)
    expect(tasksBySpan(first)).toEqual({ x: 'conv-9' })
    expect(first[0].events[0].flags).toEqual(['orphan'])
    expect(kinds(first[0])).toEqual(['other'])
    const second = c.expire(T0 + 6_000)
    expect(tasksBySpan(second)).toEqual({ y: TRACE })
    expect(c.held()).toBe(0)
  })

  it('children of an expired span inherit its task when they were waiting on it', () => {
    const c = correlator({ graceWindowMs: 1_000 })
    c.add(records([{ spanId: 'mid', parentSpanId: 'gone', attributes: { 'session.id': 's-1' } }]), T0)
    c.add(records([{ spanId: 'leaf', parentSpanId: 'mid' }]), T0 + 500)
    const out = c.expire(T0 + 1_000)
    expect(tasksBySpan(out)).toEqual({ mid: 's-1', leaf: 's-1' })
    expect(out[1].events[0].flags).toEqual(['late_parent'])
    expect(c.held()).toBe(0)
  })

  it('a root span without explicit task uses the conversation id, else the trace id', () => {
    const c = correlator()
    expect(c.add(records([{ spanId: 'r1', attributes: { 'gen_ai.conversation.id': 'conv-1' } }]), T0)[0].events[0].task_id).toBe('conv-1')
    expect(c.add(records([{ spanId: 'r2' }]), T0)[0].events[0].task_id).toBe(TRACE)
  })

  it('an explicit task with an unknown parent is placed at once (not an invoke_agent span)', () => {
    const c = correlator()
    const out = c.add(records([{ spanId: 'e', parentSpanId: 'unknown', attributes: task('task-E') }]), T0)
    expect(tasksBySpan(out)).toEqual({ e: 'task-E' })
    expect(kinds(out[0])).toEqual(['other'])
    expect(c.held()).toBe(0)
  })

  it('keeps tenants apart: the same trace and span ids in another tenant do not inherit', () => {
    const c = correlator()
    c.add(records([{ spanId: 'p', attributes: task('acme-task') }], { authTenant: 'acme' }), T0)
    expect(c.add(records([{ spanId: 'c', parentSpanId: 'p' }], { authTenant: 'globex' }), T0)).toEqual([])
    expect(c.add(records([{ spanId: 'c', parentSpanId: 'p' }], { authTenant: 'acme' }), T0)[0].events[0].task_id).toBe('acme-task')
  })

  it('a span id reused in another trace never gives that trace’s placement: across batches, in one batch and for held children', () => {
    const OTHER = '99998888777766665555444433332222'
    const inTrace = (traceId: string, spans: SpanInit[]) => records(spans.map((init) => ({ traceId, ...init })))
    const c = correlator()
    c.add(inTrace(TRACE, [{ spanId: 'p', attributes: task('task-A') }]), T0)
    // Across batches: the known `p` belongs to TRACE, so OTHER's child waits for OTHER's own `p`.
    expect(c.add(inTrace(OTHER, [{ spanId: 'c', parentSpanId: 'p' }]), T0)).toEqual([])
    expect(tasksBySpan(c.add(inTrace(OTHER, [{ spanId: 'p', attributes: task('task-B') }]), T0))).toEqual({ p: 'task-B', c: 'task-B' })
    expect(c.held()).toBe(0)

    // In one batch: a child is placed under the `q` of its own trace; once another trace's `q`
    // replaced it, the child waits (and is placed by its fallback) instead of taking that task.
    const batch = c.add([...inTrace(TRACE, [{ spanId: 'q', attributes: task('task-C') }]), ...inTrace(OTHER, [{ spanId: 'q', attributes: task('task-D') }, { spanId: 'k', parentSpanId: 'q' }])], T0)
    expect(batch.find((record) => record.spanId === 'k')!.events[0].task_id).toBe('task-D')
    const replaced = c.add([...inTrace(OTHER, [{ spanId: 'm', attributes: task('task-H') }]), ...inTrace(TRACE, [{ spanId: 'm', attributes: task('task-I') }]), ...inTrace(OTHER, [{ spanId: 'n', parentSpanId: 'm' }])], T0)
    expect(replaced.map((record) => record.spanId)).toEqual(['m', 'm'])
    const [orphan] = c.expire(T0 + 60_000)
    expect(orphan.events[0].task_id).toBe(OTHER)
    expect(orphan.events[0].flags).toContain('orphan')

    // Held children of two traces wait on the same span id; each is released by its own trace's parent only.
    const d = correlator()
    expect(d.add([...inTrace(TRACE, [{ spanId: 'x', parentSpanId: 'r' }]), ...inTrace(OTHER, [{ spanId: 'y', parentSpanId: 'r' }])], T0)).toEqual([])
    expect(tasksBySpan(d.add(inTrace(OTHER, [{ spanId: 'r', attributes: task('task-F') }]), T0))).toEqual({ r: 'task-F', y: 'task-F' })
    expect(d.held()).toBe(1)
    expect(tasksBySpan(d.add(inTrace(TRACE, [{ spanId: 'r', attributes: task('task-G') }]), T0))).toEqual({ r: 'task-G', x: 'task-G' })
    expect(d.held()).toBe(0)
  })

  it('unauthenticated: a span that claims no tenant takes its parent’s; its own claim wins', () => {
    const c = correlator()
    const out = c.add(
      records([
        { spanId: 'root', attributes: { ...task('t'), 'tenant.id': 'acme' } },
        { spanId: 'kid', parentSpanId: 'root' },
        { spanId: 'other', parentSpanId: 'root', attributes: { 'tenant.id': 'globex' } },
      ]),
      T0,
    )
    const byId = Object.fromEntries(out.map((record) => [record.spanId, record]))
    expect(byId.kid.tenantId).toBe('acme')
    expect(byId.kid.events.map((event) => event.tenant_id)).toEqual(['acme'])
    expect(byId.other.events[0].tenant_id).toBe('globex')
    const [grandchild] = c.add(records([{ spanId: 'gk', parentSpanId: 'kid' }]), T0)
    expect(grandchild.events[0]).toMatchObject({ tenant_id: 'acme', task_id: 't' })
  })

  it('authenticated: the key’s tenant stays whatever the parent claimed', () => {
    const c = correlator()
    const out = c.add(records([{ spanId: 'root', attributes: { 'tenant.id': 'globex' } }, { spanId: 'kid', parentSpanId: 'root' }], { authTenant: 'acme' }), T0)
    for (const record of out) for (const event of record.events) expect(event.tenant_id).toBe('acme')
  })

  it('fills credential_task_id of credential_issued with the task, and inherits the agent', () => {
    const c = correlator()
    const out = c.add(
      records([
        { spanId: 'agent', attributes: { ...task('t'), 'gen_ai.agent.id': 'planner' } },
        { spanId: 'tool', parentSpanId: 'agent', events: [{ name: 'credential.issued', atMs: T0, attributes: { 'credential.id': 'c1' } }] },
      ]),
      T0,
    )
    const tool = out.find((record) => record.spanId === 'tool')!
    expect(tool.events[1]).toMatchObject({ kind: 'credential_issued', task_id: 't', credential_task_id: 't', agent_id: 'planner' })
  })

  it('attaches log records to the span they were emitted in, holding them until it arrives', () => {
    const c = correlator()
    const logs = mapLogRequest(logRequest([logRecord({ traceId: TRACE, spanId: 'sp', eventName: 'credential.used', attributes: { 'credential.id': 'c' } })]), { observedAt: T0 })
    expect(c.add(logs, T0)).toEqual([])
    const out = c.add(records([{ spanId: 'sp', attributes: task('task-L') }]), T0 + 1)
    const log = out.find((record) => record.signal === 'log')!
    expect(log.events[0]).toMatchObject({ kind: 'credential_used', task_id: 'task-L', flags: ['late_parent'] })
    expect(kinds(log)).toEqual(['credential_used'])
  })
})

describe('Correlator: task boundaries', () => {
  it('makes a root span of no kind of its own its task_start, and adds task_end at its end, after its span events, to a task that is its trace', () => {
    const c = correlator()
    const [root] = c.add(records([{ spanId: 'root', startMs: T0, endMs: T0 + 900, events: [{ name: 'approval', atMs: T0 + 5 }] }]), T0)
    expect(root.events.map((event) => [event.kind, event.ts, event.seq, event.event_id])).toEqual([
      ['task_start', T0, 0, eventId(TRACE, 'root', 'task_start', 0)],
      ['approval', T0 + 5, 1, eventId(TRACE, 'root', 'approval', 1)],
      ['task_end', T0 + 900, 2, eventId(TRACE, 'root', 'task_end', 2)],
    ])
    expect(root.events[0].task_id).toBe(TRACE)
  })

  it('adds task_start beside a root span of a kind of its own', () => {
    const c = correlator()
    const [root] = c.add(records([{ spanId: 'root', startMs: T0, endMs: T0 + 900, attributes: { 'gen_ai.operation.name': 'chat' } }]), T0)
    expect(root.events.map((event) => [event.kind, event.ts, event.seq])).toEqual([
      ['task_start', T0, 0],
      ['prompt', T0, 0],
      ['task_end', T0 + 900, 1],
    ])
    expect(new Set(root.events.map((event) => event.event_id)).size).toBe(3)
  })

  it('boundaries added beside a root span keep its tenant mismatch and claimed tenant, nothing else of its own', () => {
    const c = correlator()
    const attributes = { 'tenant.id': 'other', 'http.method': 'GET', 'gen_ai.operation.name': 'chat' }
    const spans: SpanInit[] = [{ spanId: 'root', status: { code: 2, message: 'boom' }, attributes }]
    const [root] = c.add(records(spans, { authTenant: 'acme' }), T0)
    const [start, own, end] = root.events
    expect(own.kind).toBe('prompt')
    expect(own.flags).toContain('tenant_mismatch')
    expect(own.attributes).toMatchObject({ 'tenant.claimed': 'other', 'http.method': 'GET' })
    for (const boundary of [start, end]) {
      expect(boundary).toMatchObject({ tenant_id: 'acme', task_id: TRACE, flags: ['tenant_mismatch'], attributes: { 'tenant.claimed': 'other' } })
      expect(Object.keys(boundary.attributes)).toEqual(['tenant.claimed'])
    }
    expect([start.status, start.error, end.status, end.error]).toEqual(['unset', '', 'error', 'boom'])
    // Each event owns its flag list: the correlator flags events one by one.
    expect(new Set([start.flags, own.flags, end.flags]).size).toBe(3)
  })

  it('a root span of no kind of its own keeps all of it as its task_start; the task_end beside it keeps only its tenant and status', () => {
    const c = correlator()
    const spans: SpanInit[] = [{ spanId: 'root', status: { code: 2, message: 'boom' }, attributes: { 'tenant.id': 'other', 'http.method': 'GET' } }]
    const [root] = c.add(records(spans, { authTenant: 'acme' }), T0)
    const [start, end] = root.events
    expect(root.events.map((event) => event.kind)).toEqual(['task_start', 'task_end'])
    expect(start).toMatchObject({ tenant_id: 'acme', task_id: TRACE, name: 'span', status: 'error', error: 'boom', flags: ['tenant_mismatch'] })
    expect(start.attributes).toMatchObject({ 'tenant.claimed': 'other', 'http.method': 'GET' })
    expect(end).toMatchObject({ tenant_id: 'acme', task_id: TRACE, status: 'error', error: 'boom', flags: ['tenant_mismatch'], attributes: { 'tenant.claimed': 'other' } })
    expect(Object.keys(end.attributes)).toEqual(['tenant.claimed'])
    expect(start.flags).not.toBe(end.flags)
  })

  it('a child with its own task id is the root of that task', () => {
    const c = correlator()
    const out = c.add(records([{ spanId: 'p', attributes: task('outer') }, { spanId: 'sub', parentSpanId: 'p', attributes: task('inner') }]), T0)
    const sub = out.find((record) => record.spanId === 'sub')!
    expect(kinds(sub)).toEqual(['task_start'])
    expect(sub.events[0].task_id).toBe('inner')
  })

  it('does not add boundaries for inner spans, orphans, or spans that sent their own', () => {
    const c = correlator({ graceWindowMs: 1 })
    const out = c.add(
      records([
        { spanId: 'r', events: [{ name: 'agent.task.start', atMs: T0 }] },
        { spanId: 'inner', parentSpanId: 'r' },
        { spanId: 'orphan', parentSpanId: 'nowhere' },
      ]),
      T0,
    )
    expect(kinds(out.find((record) => record.spanId === 'r')!)).toEqual(['other', 'task_start'])
    expect(kinds(out.find((record) => record.spanId === 'inner')!)).toEqual(['other'])
    expect(kinds(c.expire(T0 + 1)[0])).toEqual(['other'])
  })
})

describe('Correlator: tasks that span traces', () => {
  const TURNS = ['11'.repeat(16), '22'.repeat(16), '33'.repeat(16)]
  const conversation: Attributes = { 'gen_ai.conversation.id': 'conv-1' }

  it.each([
    ['a conversation id', conversation, 'conv-1'],
    ['an explicit task id', task('task-X'), 'task-X'],
  ])('a task named by %s spans traces: each turn’s root gets a task_start, none a task_end', (_, attributes, taskId) => {
    const c = correlator()
    for (const [turn, traceId] of TURNS.entries()) {
      const startMs = T0 + turn * 60_000
      const [root] = c.add(records([{ traceId, spanId: `root-${turn}`, startMs, endMs: startMs + 500, attributes }]), startMs)
      expect(kinds(root)).toEqual(['task_start'])
      expect(root.events.map((event) => [event.task_id, event.ts])).toEqual([[taskId, startMs]])
    }
  })

  it('ends on agent.task.end: a span event of a turn’s root, a span of that name, or a log record', () => {
    const c = correlator()
    const [event] = c.add(records([{ traceId: TURNS[0], spanId: 'r0', attributes: conversation, events: [{ name: 'agent.task.end', atMs: T0 + 40 }] }]), T0)
    expect(event.events.map((e) => [e.kind, e.task_id, e.ts, e.seq])).toEqual([
      ['task_start', 'conv-1', T0, 0],
      ['task_end', 'conv-1', T0 + 40, 1],
    ])

    // A span named like the event, as the root of its own trace: the end alone, no start with it.
    const [ownTrace] = c.add(records([{ traceId: TURNS[1], spanId: 'end-1', name: 'agent.task.end', attributes: conversation }]), T0)
    expect(ownTrace.events.map((e) => [e.kind, e.task_id])).toEqual([['task_end', 'conv-1']])
    // ... or under a turn's root, in its task.
    const turn = c.add(records([{ traceId: TURNS[2], spanId: 'r2', attributes: conversation }, { traceId: TURNS[2], spanId: 'end-2', parentSpanId: 'r2', name: 'agent.task.end' }]), T0)
    expect(turn.find((record) => record.spanId === 'end-2')!.events.map((e) => [e.kind, e.task_id])).toEqual([['task_end', 'conv-1']])

    const logs = mapLogRequest(
      logRequest([
        logRecord({ traceId: '', eventName: 'agent.task.end', attributes: conversation }),
        logRecord({ traceId: TURNS[2], spanId: 'r2', eventName: 'agent.task.end' }),
      ]),
    )
    expect(c.add(logs, T0).map((record) => record.events.map((e) => [e.kind, e.task_id]))).toEqual([[['task_end', 'conv-1']], [['task_end', 'conv-1']]])
  })

  it('a task that is its trace and declares its end gets the start, and no second end', () => {
    const c = correlator()
    const [root] = c.add(records([{ spanId: 'r', endMs: T0 + 900, events: [{ name: 'agent.task.end', atMs: T0 + 50 }] }]), T0)
    expect(root.events.map((e) => [e.kind, e.task_id, e.ts])).toEqual([
      ['task_start', TRACE, T0],
      ['task_end', TRACE, T0 + 50],
    ])
  })
})

describe('Correlator: delegation', () => {
  const invoke = (agent: string, extra: Attributes = {}): Attributes => ({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': agent, 'gen_ai.agent.name': agent.toUpperCase(), ...extra })

  it('an invoke_agent span whose agent differs from its parent’s is a delegation by the parent’s agent', () => {
    const c = correlator()
    const out = c.add(
      records([
        { spanId: 'sub', parentSpanId: 'step', attributes: invoke('billing', { 'agent.delegation.scopes': 'refunds:write,orders:read' }) },
        { spanId: 'step', parentSpanId: 'main' },
        { spanId: 'main', attributes: { ...invoke('planner'), ...task('t') } },
      ]),
      T0,
    )
    const sub = out.find((record) => record.spanId === 'sub')!
    expect(sub.events[0]).toMatchObject({
      kind: 'delegation',
      agent_id: 'planner',
      agent_name: 'PLANNER',
      delegate_agent_id: 'billing',
      delegate_agent_name: 'BILLING',
      delegated_scopes: ['refunds:write', 'orders:read'],
      task_id: 't',
    })
    expect(kinds(out.find((record) => record.spanId === 'main')!)).toEqual(['task_start'])
    const [grandchild] = c.add(records([{ spanId: 'tool', parentSpanId: 'sub', attributes: { 'gen_ai.operation.name': 'execute_tool' } }]), T0)
    expect(grandchild.events[0].agent_id).toBe('billing')
  })

  it('the same agent, or no parent agent, is not a delegation; an unknown parent is waited for', () => {
    const c = correlator()
    const out = c.add(records([{ spanId: 'a', attributes: invoke('planner') }, { spanId: 'b', parentSpanId: 'a', attributes: invoke('planner') }]), T0)
    // The root invoke_agent span is its task's start; the child of the same agent stays `other`.
    expect(['a', 'b'].map((spanId) => kinds(out.find((record) => record.spanId === spanId)!))).toEqual([['task_start', 'task_end'], ['other']])
    expect(c.add(records([{ spanId: 'd', parentSpanId: 'later', attributes: invoke('x', task('t')) }]), T0)).toEqual([])
    const released = c.add(records([{ spanId: 'later', attributes: { ...invoke('y'), ...task('t') } }]), T0)
    expect(released.find((record) => record.spanId === 'd')!.events[0]).toMatchObject({ kind: 'delegation', agent_id: 'y', delegate_agent_id: 'x' })
  })

  it('delegation event ids are deterministic', () => {
    const batch = () => records([{ spanId: 'm', attributes: invoke('p') }, { spanId: 's', parentSpanId: 'm', attributes: invoke('q') }])
    const ids = () => correlator().add(batch(), T0).flatMap((record) => record.events.map((event) => event.event_id))
    expect(ids()).toEqual(ids())
  })
})

describe('Correlator: bounds and accounting', () => {
  it('releases the oldest held record by its fallback when the hold is full, and counts it', async () => {
    const registry = new Registry()
    const c = correlator({ maxHeldSpans: 2, registry })
    expect(c.add(records([{ spanId: 'h1', parentSpanId: 'm1' }, { spanId: 'h2', parentSpanId: 'm2' }]), T0)).toEqual([])
    const out = c.add(records([{ spanId: 'h3', parentSpanId: 'm3' }]), T0)
    expect(out.map((record) => [record.spanId, record.events[0].flags])).toEqual([['h1', ['orphan']]])
    expect(c.held()).toBe(2)
    const metrics = await registry.getMetricsAsJSON()
    const released = metrics.find((metric) => metric.name === 'privpath_collector_spans_released_total')!
    expect(released.values).toEqual([expect.objectContaining({ labels: { reason: 'capacity' }, value: 1 })])
  })

  it('counts a tool result and requested calls in the estimate', () => {
    const plain = recordBytes(records([{ spanId: 't1', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'web.fetch' } }])[0])
    const withResult = recordBytes(records([{ spanId: 't1', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'web.fetch', 'gen_ai.tool.call.result': 'r'.repeat(3_000) } }])[0])
    expect(withResult - plain).toBeGreaterThanOrEqual(3_000)
  })

  it('bounds the hold by estimated bytes too, and gives the bytes back on every way out of it', async () => {
    const registry = new Registry()
    const big = (spanId: string, parentSpanId: string) => ({ spanId, parentSpanId, attributes: { note: 'x'.repeat(10_000) } })
    const one = recordBytes(records([big('probe', 'p')])[0])
    // Attribute values are cut to 1,024 characters by the mapper; the estimate counts what is kept.
    expect(one).toBeGreaterThan(1_024)
    const c = correlator({ maxHeldBytes: Math.floor(one * 2.5), registry })
    expect(c.add(records([big('h1', 'm1'), big('h2', 'm2')]), T0)).toEqual([])
    expect(c.heldSize()).toBe(2 * one)
    // A third does not fit: the oldest is placed at once, by its fallback, as an orphan.
    const out = c.add(records([big('h3', 'm3')]), T0)
    expect(out.map((record) => [record.spanId, record.events[0].flags])).toEqual([['h1', ['orphan']]])
    expect(c.held()).toBe(2)
    expect(c.heldSize()).toBe(2 * one)
    expect(await registry.metrics()).toMatch(new RegExp(`privpath_collector_held_bytes ${2 * one}`))
    // The parent of h2 arrives: h2 leaves the hold with its bytes; h3 expires with its own.
    c.add(records([{ spanId: 'm2' }]), T0)
    expect(c.heldSize()).toBe(one)
    c.expire(T0 + 60_000)
    expect(c.held()).toBe(0)
    expect(c.heldSize()).toBe(0)
  })

  it('places a child at once when making room in the hold releases its own parent', () => {
    const c = correlator({ maxHeldSpans: 1 })
    expect(c.add(records([{ spanId: 'x', parentSpanId: 'gone', attributes: { 'gen_ai.agent.id': 'planner' } }]), T0)).toEqual([])
    const out = c.add(records([{ spanId: 'y', parentSpanId: 'x' }]), T0)
    expect(out.map((record) => [record.spanId, record.events[0].flags, record.events[0].agent_id])).toEqual([
      ['x', ['orphan'], 'planner'],
      ['y', [], 'planner'],
    ])
    expect(c.held()).toBe(0)
  })

  it('holds one record larger than the whole byte bound when nothing else is held', () => {
    const c = correlator({ maxHeldBytes: 100 })
    expect(c.add(records([{ spanId: 'huge', parentSpanId: 'p', attributes: { note: 'x'.repeat(5_000) } }]), T0)).toEqual([])
    expect(c.held()).toBe(1)
    const out = c.add(records([{ spanId: 'next', parentSpanId: 'q' }]), T0)
    expect(out.map((record) => record.spanId)).toEqual(['huge'])
  })

  it('evicts the least recently used placement beyond maxKnownSpans and counts it', async () => {
    const registry = new Registry()
    const c = correlator({ maxKnownSpans: 2, registry })
    c.add(records([{ spanId: 'k1', attributes: task('t1') }]), T0)
    c.add(records([{ spanId: 'k2', attributes: task('t2') }]), T0)
    c.add(records([{ spanId: 'k3', attributes: task('t3') }]), T0)
    expect(c.knownSpans()).toBe(2)
    expect(c.add(records([{ spanId: 'c', parentSpanId: 'k1' }]), T0)).toEqual([])
    expect(c.add(records([{ spanId: 'c3', parentSpanId: 'k3' }]), T0)[0].events[0].task_id).toBe('t3')
    const metrics = await registry.getMetricsAsJSON()
    // k1 when k3 arrived, k2 when c3 was remembered
    expect(metrics.find((metric) => metric.name === 'privpath_collector_known_spans_evicted_total')!.values[0].value).toBe(2)
  })

  it('every record added comes out exactly once, with origin untouched', () => {
    const c = correlator({ graceWindowMs: 100, maxHeldSpans: 3 })
    const seen: SpanRecord[] = []
    const inputs: SpanRecord[] = []
    for (let i = 0; i < 40; i++) {
      const batch = records([
        { spanId: `s${i}`, parentSpanId: i % 3 === 0 ? '' : `s${i + 2}` },
        { spanId: `t${i}`, parentSpanId: `nope${i}` },
      ])
      batch.forEach((record, n) => (record.origin = { i, n }))
      inputs.push(...batch)
      seen.push(...c.add(batch, T0 + i * 10), ...c.expire(T0 + i * 10))
    }
    seen.push(...c.expire(T0 + 1_000_000))
    expect(c.held()).toBe(0)
    expect(seen).toHaveLength(inputs.length)
    expect(new Set(seen)).toEqual(new Set(inputs))
    for (const record of seen) {
      expect(record.origin).toEqual(inputs.find((input) => input === record)!.origin)
      for (const event of record.events) expect(event.task_id).not.toBe('')
    }
  })

  it('places a 20 000-span chain delivered leaf first, partly through holding, without deep recursion', () => {
    const c = correlator({ maxHeldSpans: 50_000, maxKnownSpans: 50_000 })
    const chain: SpanInit[] = []
    for (let i = 20_000; i > 0; i--) chain.push({ spanId: `n${i}`, parentSpanId: `n${i - 1}` })
    chain.push({ spanId: 'n0', attributes: task('deep') })
    const out = c.add(records(chain), T0)
    expect(c.held()).toBe(0)
    expect(out).toHaveLength(20_001)
    expect(new Set(out.map((record) => record.events.at(-1)!.task_id))).toEqual(new Set(['deep']))
  })

  it('survives parent cycles by holding and then placing by fallback', () => {
    const c = correlator({ graceWindowMs: 10 })
    const out = c.add(records([{ spanId: 'a', parentSpanId: 'b' }, { spanId: 'b', parentSpanId: 'a' }]), T0)
    const later = c.expire(T0 + 10)
    expect([...out, ...later].map((record) => record.spanId).sort()).toEqual(['a', 'b'])
  })
})
