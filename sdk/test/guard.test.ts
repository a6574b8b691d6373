import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SpanStatusCode } from '@opentelemetry/api'
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { configure, guard, PrivpathDeniedError } from '../src/index.js'
import { harness, TASK } from './harness.js'

interface Asked {
  url: string
  headers: IncomingHttpHeaders
  body: unknown
}

const asked: Asked[] = []
let answer: (response: ServerResponse) => void = () => undefined
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    asked.push({ url: request.url ?? '', headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString()) })
    answer(response)
  })
})
const json = (status: number, body: unknown) => (response: ServerResponse) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
let endpoint = ''
let closedEndpoint = ''

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  closedEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
  await new Promise<void>((resolve) => closed.close(() => resolve()))
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
beforeEach(() => {
  asked.length = 0
})

const ALLOW = { decision: true, context: { id: 'dec-1', mode: 'enforce', reason_admin: { rules: [], policies: [] }, reason_user: { en: 'Allowed.' } } }
const DENY = {
  decision: false,
  context: {
    id: 'dec-2',
    mode: 'enforce',
    reason_admin: {
      rules: [{ id: 'cross-tenant-write', severity: 'high', summary: 'Writes to a tenant the task does not serve', enforce: 'deny', mode: 'enforce' }],
      policies: [{ id: 'tenant-boundary', reason: 'globex is not acme' }],
    },
    reason_user: { en: "This would change another customer's data." },
  },
}

function checked(decisions: Record<string, unknown> = {}) {
  const h = harness()
  h.privpath.configure({ decisions: { endpoint, apiKey: 'tenant-key', ...decisions } })
  return h
}

describe('toolCall with check: true', () => {
  it('asks with the agent, tool, target and task before running the tool, then runs it', async () => {
    const h = checked()
    let ran = false
    let ranBeforeAnswer: boolean | undefined
    answer = (response) => {
      ranBeforeAnswer = ran
      json(200, ALLOW)(response)
    }
    const target = { tenant: 'acme', resource: 'postgres://db/invoices' }
    const rows = await h.privpath.startTask(TASK, async () => {
      h.privpath.recordPrompt('refund invoice 1042', { model: 'gpt-4o' })
      // Not something a decision depends on: the request must still name the chat span.
      h.provider.getTracer('http').startSpan('GET /health').end()
      const call = h.privpath.toolCall('sql_query', { check: true, target, credentialId: 'cred-1', arguments: { q: 'select 1' } }, () => {
        ran = true
        return 'rows'
      })
      expectTypeOf(call).toEqualTypeOf<Promise<string>>()
      return call
    })
    expect(rows).toBe('rows')
    expect(ranBeforeAnswer).toBe(false)
    expect(asked).toHaveLength(1)
    expect(asked[0].url).toBe('/access/v1/evaluation')
    expect(asked[0].headers.authorization).toBe('Bearer tenant-key')
    expect(asked[0].headers['content-type']).toBe('application/json')
    expect(asked[0].body).toEqual({
      subject: { type: 'agent', id: 'agent-planner', properties: { name: 'planner', workload_id: 'spiffe://acme/agents/planner' } },
      action: { name: 'sql_query' },
      resource: {
        type: 'tool',
        id: 'sql_query',
        properties: { arguments: { q: 'select 1' }, target_resource: 'postgres://db/invoices', target_tenant: 'acme', credential_id: 'cred-1' },
      },
      context: {
        task_id: 'task-1',
        trace_id: h.span('invoke_agent planner').spanContext().traceId,
        after_span_id: h.span('chat gpt-4o').spanContext().spanId,
      },
    })
    const tool = h.span('execute_tool sql_query')
    expect(tool.attributes['privpath.decision.id']).toBe('dec-1')
    expect(tool.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('names the previous tool span as the one the next decision depends on, unless told otherwise', async () => {
    answer = json(200, ALLOW)
    const h = checked()
    await h.privpath.startTask(TASK, async () => {
      await h.privpath.toolCall('first', { check: true }, () => 1)
      await h.privpath.toolCall('second', { check: true }, () => 2)
      await h.privpath.toolCall('third', { check: true, afterSpanId: '00f067aa0ba902b7' }, () => 3)
    })
    const [, second, third] = asked.map((request) => (request.body as { context: { after_span_id?: string } }).context)
    expect(second.after_span_id).toBe(h.span('execute_tool first').spanContext().spanId)
    expect(third.after_span_id).toBe('00f067aa0ba902b7')
  })

  it('keeps the type of an unchecked call', () => {
    const h = harness()
    const value = h.privpath.toolCall('t', {}, () => 1)
    expectTypeOf(value).toEqualTypeOf<number>()
    expect(value).toBe(1)
  })

  it('does not run a denied tool, fails its span with the decision and throws PrivpathDeniedError', async () => {
    answer = json(200, DENY)
    const h = checked()
    const run = vi.fn()
    const error = await h.privpath
      .startTask(TASK, () => h.privpath.toolCall('write_invoice', { check: true, target: { tenant: 'globex' } }, run))
      .catch((caught: unknown) => caught)
    expect(run).not.toHaveBeenCalled()
    expect(error).toBeInstanceOf(PrivpathDeniedError)
    expect(error).toMatchObject({
      name: 'PrivpathDeniedError',
      decisionId: 'dec-2',
      toolName: 'write_invoice',
      userMessage: "This would change another customer's data.",
      failure: undefined,
      reasons: [
        { kind: 'rule', id: 'cross-tenant-write', reason: 'Writes to a tenant the task does not serve', severity: 'high', enforce: 'deny', mode: 'enforce' },
        { kind: 'policy', id: 'tenant-boundary', reason: 'globex is not acme' },
      ],
    })
    const message = (error as Error).message
    expect(message).toContain('write_invoice')
    expect(message).toContain('cross-tenant-write')
    expect(message).toContain('tenant-boundary')
    const tool = h.span('execute_tool write_invoice')
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message })
    expect(tool.attributes).toMatchObject({
      'error.type': 'PrivpathDeniedError',
      'privpath.decision.id': 'dec-2',
      'privpath.decision.reasons': [
        'rule cross-tenant-write: Writes to a tenant the task does not serve',
        'policy tenant-boundary: globex is not acme',
      ],
    })
  })
})

describe('when privpath cannot decide', () => {
  // Only the timeout case waits out its deadline; the others answer (or refuse) well within theirs.
  const cases = [
    { what: 'no answer in time', reply: () => undefined, at: () => endpoint, timeoutMs: 50, kind: 'timeout', says: /within 50 ms/ },
    { what: 'nothing listening', reply: json(200, ALLOW), at: () => closedEndpoint, timeoutMs: 10_000, kind: 'unreachable', says: /ECONNREFUSED/ },
    {
      what: 'a 401',
      reply: json(401, { error: { code: 'PP_ERR_UNAUTHORIZED', message: 'unknown API key' } }),
      at: () => endpoint,
      timeoutMs: 10_000,
      kind: 'unauthorized',
      says: /401.*unknown API key/,
    },
    {
      what: 'a 503',
      reply: json(503, { error: { code: 'PP_ERR_UNAVAILABLE', message: 'store unavailable' } }),
      at: () => endpoint,
      timeoutMs: 10_000,
      kind: 'server_error',
      says: /503.*store unavailable/,
    },
    { what: 'an answer without a decision', reply: json(200, { allowed: true }), at: () => endpoint, timeoutMs: 10_000, kind: 'bad_response', says: /boolean decision/ },
  ]

  for (const { what, reply, at, timeoutMs, kind, says } of cases) {
    it(`denies on ${what} by default, naming the failure`, async () => {
      answer = reply
      const h = checked({ endpoint: at(), timeoutMs })
      const run = vi.fn()
      const error = await h.privpath.startTask(TASK, () => h.privpath.toolCall('t', { check: true }, run)).catch((caught: unknown) => caught)
      expect(run).not.toHaveBeenCalled()
      expect(error).toBeInstanceOf(PrivpathDeniedError)
      const denied = error as PrivpathDeniedError
      expect(denied.failure?.kind).toBe(kind)
      expect(denied.decisionId).toBeUndefined()
      expect(denied.reasons).toEqual([{ kind: 'failure', id: kind, reason: denied.failure?.message }])
      expect(denied.message).toMatch(says)
      expect(h.span('execute_tool t').attributes['privpath.decision.error']).toMatch(says)
    })

    it(`runs the tool on ${what} with onError 'allow', recording the failure on its span`, async () => {
      answer = reply
      const h = checked({ endpoint: at(), timeoutMs })
      const value = await h.privpath.startTask(TASK, () =>
        h.privpath.toolCall('t', { check: true, decisions: { onError: 'allow' } }, () => 'ran'),
      )
      expect(value).toBe('ran')
      const tool = h.span('execute_tool t')
      expect(tool.attributes['privpath.decision.error']).toMatch(says)
      expect(tool.status.code).toBe(SpanStatusCode.UNSET)
    })
  }

  it("denies a request privpath rejects (400) with its message, even with onError 'allow'", async () => {
    answer = json(400, { error: { code: 'PP_ERR_INVALID', message: 'resource.properties.arguments must be an object or a string' } })
    const h = checked({ onError: 'allow' })
    const run = vi.fn()
    const error = await h.privpath.startTask(TASK, () => h.privpath.toolCall('t', { check: true }, run)).catch((caught: unknown) => caught)
    expect(run).not.toHaveBeenCalled()
    expect((error as PrivpathDeniedError).failure?.kind).toBe('bad_request')
    expect((error as Error).message).toMatch(/400.*PP_ERR_INVALID: resource\.properties\.arguments must be an object or a string/)
  })
})

describe('guard', () => {
  it('asks for an agent outside a task and resolves to the decision', async () => {
    answer = json(200, { decision: true, context: { id: 'dec-3', mode: 'shadow', reason_admin: { ...DENY.context.reason_admin, stale: true } } })
    const h = checked()
    const decision = await h.privpath.guard({ tool: 'send_mail', agent: { id: 'mailer' }, arguments: ['not', 'an', 'object'] })
    expect(decision).toEqual({ id: 'dec-3', mode: 'shadow', stale: true, reasons: expect.arrayContaining([expect.objectContaining({ id: 'tenant-boundary' })]) })
    expect(asked[0].body).toEqual({
      subject: { type: 'agent', id: 'mailer', properties: {} },
      action: { name: 'send_mail' },
      resource: { type: 'tool', id: 'send_mail', properties: { arguments: '["not","an","object"]' } },
      context: {},
    })
  })

  it('is a free function over the configured default instance', async () => {
    answer = json(200, ALLOW)
    configure({ decisions: { endpoint: `${endpoint}/`, apiKey: 'default-key' } })
    await expect(guard({ tool: 't', agent: { id: 'a' } })).resolves.toMatchObject({ id: 'dec-1' })
    expect(asked.map((request) => [request.url, request.headers.authorization])).toEqual([['/access/v1/evaluation', 'Bearer default-key']])
  })

  it('throws a caller mistake at the call site, naming the setting', () => {
    const h = harness()
    expect(() => h.privpath.guard({ tool: 't', agent: { id: 'a' } })).toThrow(/decisions\.endpoint/)
    h.privpath.configure({ decisions: { endpoint } })
    expect(() => h.privpath.guard({ tool: 't', agent: { id: 'a' } }, { timeoutMs: 0 })).toThrow(/decisions\.timeoutMs/)
    expect(() => h.privpath.guard({ tool: 't', agent: { id: 'a' } }, { onError: 'maybe' as 'deny' })).toThrow(/decisions\.onError/)
    expect(() => h.privpath.toolCall('t', { check: true }, () => 1)).toThrow(/agent/)
    expect(h.spans()).toEqual([])
  })
})
