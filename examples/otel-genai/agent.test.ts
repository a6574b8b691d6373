import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureSpans, startPrivpath, type RunningPrivpath } from '../harness.js'
import { AGENT_ID, RESOURCE, run, TENANT } from './agent.js'

let privpath: RunningPrivpath
beforeAll(async () => {
  privpath = await startPrivpath()
})
afterAll(() => privpath?.stop())

describe('plain OpenTelemetry GenAI example', () => {
  it('emits one trace: invoke_agent with chat and execute_tool children, task named only on the root', async () => {
    const { result, spans } = await captureSpans((provider) => run(provider, 'genai-spans'), RESOURCE)
    expect(result.report).toBe('Revenue last week: 1250')
    const root = spans.find((s) => s.name === 'invoke_agent report')
    expect(root?.attributes['agent.task.id']).toBe('genai-spans')
    for (const name of ['chat gpt-4o-mini', 'execute_tool query_metrics']) {
      const child = spans.find((s) => s.name === name)
      expect(child?.parentSpanContext?.spanId, name).toBe(root?.spanContext().spanId)
      expect(child?.attributes, name).not.toHaveProperty('agent.task.id')
    }
  })

  it('is ingested by privpath with the children placed in the root span\'s task', async () => {
    const { spans } = await captureSpans((provider) => run(provider, 'genai-task-1'), RESOURCE)
    await privpath.ingest(spans)
    const view = await privpath.task('genai-task-1', (v) => v.events.some((e) => e.kind === 'tool_invocation'))
    expect(view.task.tenant_id).toBe(TENANT)
    expect(view.events.find((e) => e.kind === 'tool_invocation')).toMatchObject({
      source: 'gen_ai',
      tool_name: 'query_metrics',
      tool_call_id: 'call-metrics-1',
      target_tenant: TENANT,
      target_resource: 'prometheus://initech/revenue',
      task_id: 'genai-task-1',
    })
    const prompt = view.events.find((e) => e.kind === 'prompt')
    expect(prompt).toMatchObject({ source: 'gen_ai', task_id: 'genai-task-1' })
    expect(prompt?.content).toContain('What was revenue last week?')
    expect(view.events.map((e) => e.agent_id)).toContain(AGENT_ID)
  })
})
