import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureSpans, startPrivpath, type RunningPrivpath } from '../harness.js'
import { AGENT_ID, run, TENANT } from './agent.js'

let privpath: RunningPrivpath
beforeAll(async () => {
  privpath = await startPrivpath()
})
afterAll(() => privpath?.stop())

describe('Vercel AI SDK example', () => {
  it('emits AI SDK spans carrying the task id and tenant from the task baggage', async () => {
    const { result, spans } = await captureSpans((provider) => run(provider, 'vercel-spans'))
    expect(result.text).toBe('Order A-1001 shipped yesterday.')
    const names = spans.map((s) => s.name).sort()
    expect(names).toEqual(['ai.generateText', 'ai.generateText.doGenerate', 'ai.generateText.doGenerate', 'ai.toolCall', 'invoke_agent support'])
    for (const span of spans) {
      expect(span.attributes['agent.task.id'], span.name).toBe('vercel-spans')
      expect(span.attributes['tenant.id'], span.name).toBe(TENANT)
    }
  })

  it('is ingested by privpath as one task with its prompts and the tool invocation', async () => {
    const { spans } = await captureSpans((provider) => run(provider, 'vercel-task-1'))
    await privpath.ingest(spans)
    const view = await privpath.task('vercel-task-1', (v) => v.events.some((e) => e.kind === 'tool_invocation'))
    expect(view.task.tenant_id).toBe(TENANT)
    const tool = view.events.find((e) => e.kind === 'tool_invocation')
    expect(tool).toMatchObject({
      source: 'vercel_ai',
      tool_name: 'lookupOrder',
      tool_call_id: 'call-lookup-1',
      target_tenant: TENANT,
      target_resource: 'orders://acme/A-1001',
      task_id: 'vercel-task-1',
      tenant_id: TENANT,
    })
    const prompts = view.events.filter((e) => e.kind === 'prompt')
    expect(prompts.length).toBeGreaterThanOrEqual(2)
    expect(prompts.every((e) => e.source === 'vercel_ai' && e.task_id === 'vercel-task-1')).toBe(true)
    expect(view.events.map((e) => e.agent_id)).toContain(AGENT_ID)
  })
})
