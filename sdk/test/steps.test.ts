import { describe, expect, it } from 'vitest'
import { harness, TASK, TASK_ATTRIBUTES } from './harness.js'

describe('recordPrompt', () => {
  it('records a chat span under the task without content by default', () => {
    const h = harness()
    h.privpath.startTask(TASK, () => h.privpath.recordPrompt('summarise the invoices', { model: 'gpt-4o', provider: 'openai' }))
    const chat = h.span('chat gpt-4o')
    expect(chat.parentSpanContext?.spanId).toBe(h.span('invoke_agent planner').spanContext().spanId)
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.provider.name': 'openai',
      ...TASK_ATTRIBUTES,
    })
  })

  it('records gen_ai.input.messages in the semantic-convention shape when content capture is on', () => {
    const h = harness(true)
    h.privpath.startTask(TASK, () => {
      h.privpath.recordPrompt('hello')
      h.privpath.recordPrompt([
        { role: 'system', content: 'be brief' },
        { role: 'user', parts: [{ type: 'text', content: 'hi' }, { type: 'uri', uri: 'https://x' }] },
      ])
    })
    const [first, second] = h.spans().filter((s) => s.name === 'chat')
    expect(JSON.parse(first.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'hello' }] },
    ])
    expect(JSON.parse(second.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'be brief' }] },
      { role: 'user', parts: [{ type: 'text', content: 'hi' }, { type: 'uri', uri: 'https://x' }] },
    ])
  })

  it('follows configure() changes of content capture', () => {
    const h = harness()
    h.privpath.configure({ captureContent: true })
    h.privpath.recordPrompt('now captured')
    h.privpath.configure({ captureContent: false })
    h.privpath.recordPrompt('not captured')
    const [captured, plain] = h.spans()
    expect(captured.attributes['gen_ai.input.messages']).toBe('[{"role":"user","parts":[{"type":"text","content":"now captured"}]}]')
    expect(plain.attributes).not.toHaveProperty('gen_ai.input.messages')
  })
})

describe('timing', () => {
  it('orders spans and events by one sub-millisecond clock: a child never starts before an earlier sibling event', () => {
    const h = harness()
    h.privpath.startTask(TASK, () =>
      h.privpath.toolCall('outer', {}, () => {
        h.privpath.credentialRevoked('c')
        h.privpath.toolCall('inner', {}, () => undefined)
      }),
    )
    const toMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6
    const outer = h.span('execute_tool outer')
    const inner = h.span('execute_tool inner')
    const root = h.span('invoke_agent planner')
    expect(toMs(outer.startTime)).toBeGreaterThanOrEqual(toMs(root.startTime))
    expect(toMs(inner.startTime)).toBeGreaterThanOrEqual(toMs(outer.events[0].time))
    expect(toMs(root.endTime)).toBeGreaterThanOrEqual(toMs(outer.endTime))
    expect(toMs(root.startTime) % 1).not.toBe(0)
  })
})

describe('reasoningStep', () => {
  it('records a reasoning span, with the text as a reasoning part only when capture is on', () => {
    const off = harness()
    off.privpath.startTask(TASK, () => off.privpath.reasoningStep('think'))
    expect(off.span('reasoning').attributes).toEqual({ 'agent.step.kind': 'reasoning', ...TASK_ATTRIBUTES })

    const on = harness(true)
    on.privpath.startTask(TASK, () => on.privpath.reasoningStep('I should read the invoices first'))
    expect(on.span('reasoning').attributes['gen_ai.output.messages']).toBe(
      '[{"role":"assistant","parts":[{"type":"reasoning","content":"I should read the invoices first"}]}]',
    )
  })
})
