import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { captureSpans, startPrivpath, type RunningPrivpath } from '../harness.js'
import { AGENT_ID, run, TENANT } from './agent.js'

let privpath: RunningPrivpath
beforeAll(async () => {
  privpath = await startPrivpath()
})
afterAll(() => privpath?.stop())

describe('LangChain.js + OpenInference example', () => {
  it('emits OpenInference LLM and TOOL spans carrying the task id and tenant from the task baggage', async () => {
    const { result, spans } = await captureSpans((provider) => run(provider, 'langchain-spans'))
    expect(result.answer).toBe('Two refund tickets are open: T-17 and T-42.')
    const kinds = spans.map((s) => `${String(s.attributes['openinference.span.kind'] ?? '-')} ${s.name}`).sort()
    expect(kinds).toEqual(['- invoke_agent triage', 'LLM FakeListChatModel', 'LLM FakeStreamingChatModel', 'TOOL search_tickets'])
    for (const span of spans) {
      expect(span.attributes['agent.task.id'], span.name).toBe('langchain-spans')
      expect(span.attributes['tenant.id'], span.name).toBe(TENANT)
    }
  })

  it('is ingested by privpath as one task with its prompts and the tool invocation', async () => {
    const { spans } = await captureSpans((provider) => run(provider, 'langchain-task-1'))
    await privpath.ingest(spans)
    const view = await privpath.task('langchain-task-1', (v) => v.events.some((e) => e.kind === 'tool_invocation'))
    expect(view.task.tenant_id).toBe(TENANT)
    const tool = view.events.find((e) => e.kind === 'tool_invocation')
    expect(tool).toMatchObject({ source: 'openinference', tool_name: 'search_tickets', task_id: 'langchain-task-1', tenant_id: TENANT })
    const prompts = view.events.filter((e) => e.kind === 'prompt')
    expect(prompts).toHaveLength(2)
    expect(prompts.every((e) => e.source === 'openinference' && e.task_id === 'langchain-task-1')).toBe(true)
    expect(view.events.map((e) => e.agent_id)).toContain(AGENT_ID)
  })
})
