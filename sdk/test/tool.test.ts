import { SpanStatusCode } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { harness, TASK, TASK_ATTRIBUTES } from './harness.js'

describe('toolCall', () => {
  it('records execute_tool <name> with target, credential and call id, and returns what fn returns', () => {
    const h = harness()
    const rows = h.privpath.startTask(TASK, () =>
      h.privpath.toolCall(
        'sql_query',
        { target: { tenant: 'globex', resource: 'postgres://db/invoices' }, credentialId: 'cred-1', callId: 'call-7', arguments: { q: 'select 1' } },
        () => [1, 2],
      ),
    )
    expect(rows).toEqual([1, 2])
    const tool = h.span('execute_tool sql_query')
    expect(tool.parentSpanContext?.spanId).toBe(h.span('invoke_agent planner').spanContext().spanId)
    expect(tool.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'sql_query',
      'gen_ai.tool.call.id': 'call-7',
      'target.tenant.id': 'globex',
      'target.resource': 'postgres://db/invoices',
      'credential.id': 'cred-1',
      ...TASK_ATTRIBUTES,
    })
  })

  it('records arguments and result only with content capture on', async () => {
    const h = harness(true)
    await h.privpath.startTask(TASK, () =>
      h.privpath.toolCall('search', { arguments: { q: 'x' }, callId: 'c' }, async () => ({ hits: 3 })),
    )
    const tool = h.span('execute_tool search')
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{"q":"x"}')
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('{"hits":3}')
  })

  it('records an unserialisable result by its type instead of throwing', () => {
    const h = harness(true)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(h.privpath.toolCall('t', { arguments: 'raw args' }, () => cyclic)).toBe(cyclic)
    expect(h.span('execute_tool t').attributes['gen_ai.tool.call.arguments']).toBe('raw args')
    expect(h.span('execute_tool t').attributes['gen_ai.tool.call.result']).toBe('[unserialisable object]')
  })

  it('generates a call id when none is given', () => {
    const h = harness()
    h.privpath.toolCall('t', {}, () => undefined)
    expect(h.span('execute_tool t').attributes['gen_ai.tool.call.id']).toMatch(/^call_[0-9a-f-]{36}$/)
  })

  it('marks a throwing tool as failed, ends its span and rethrows', () => {
    const h = harness()
    expect(() =>
      h.privpath.toolCall('t', {}, () => {
        throw new Error('denied')
      }),
    ).toThrow('denied')
    const tool = h.span('execute_tool t')
    expect(tool.status).toEqual({ code: SpanStatusCode.ERROR, message: 'denied' })
    expect(tool.attributes['error.type']).toBe('Error')
  })

  it('rejects an empty tool name', () => {
    const h = harness()
    expect(() => h.privpath.toolCall('', {}, () => 1)).toThrow(/tool name/)
  })
})
