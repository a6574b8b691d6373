/**
 * A triage agent on LangChain.js, traced by OpenInference's LangChain instrumentation and run
 * inside a privpath task. The chat models are LangChain's fakes so the example runs offline: the
 * first proposes a `search_tickets` tool call, the second answers from the tool result.
 *
 * privpath sees OpenInference spans (`openinference.span.kind` LLM / TOOL / CHAIN); the task
 * span's baggage puts `agent.task.id` / `tenant.id` on each through the
 * TaskAttributesSpanProcessor. Requires a global context manager (setupPrivpath or the OTel Node SDK).
 */
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain'
import type { TracerProvider } from '@opentelemetry/api'
import * as CallbackManagerModule from '@langchain/core/callbacks/manager'
import { AIMessageChunk, HumanMessage, type BaseMessage } from '@langchain/core/messages'
import { DynamicStructuredTool } from '@langchain/core/tools'
import { FakeListChatModel, FakeStreamingChatModel } from '@langchain/core/utils/testing'
import { createPrivpath } from '@privpath/sdk'

export const TENANT = 'globex'
export const AGENT_ID = 'triage-agent'

export interface LangChainAgentRun {
  taskId: string
  answer: string
}

let instrumentation: LangChainInstrumentation | undefined

/** LangChain's callback manager is patched once per process; later runs only retarget the provider. */
function instrument(tracerProvider: TracerProvider): void {
  if (instrumentation === undefined) {
    instrumentation = new LangChainInstrumentation({ tracerProvider })
    instrumentation.manuallyInstrument(CallbackManagerModule)
  } else {
    instrumentation.setTracerProvider(tracerProvider)
  }
}

const searchTickets = new DynamicStructuredTool({
  name: 'search_tickets',
  description: 'Search the helpdesk for tickets',
  schema: {
    type: 'object',
    properties: { query: { type: 'string' } },
    required: ['query'],
  },
  func: async ({ query }: { query: string }) => JSON.stringify({ query, tickets: ['T-17', 'T-42'] }),
})

export async function run(tracerProvider: TracerProvider, taskId = 'langchain-task-1'): Promise<LangChainAgentRun> {
  instrument(tracerProvider)
  const privpath = createPrivpath({ tracerProvider })
  const planner = new FakeStreamingChatModel({
    chunks: [
      new AIMessageChunk({
        content: '',
        tool_calls: [{ id: 'call-search-1', name: 'search_tickets', args: { query: 'refund' }, type: 'tool_call' }],
      }),
    ],
  }).bindTools([searchTickets])
  const responder = new FakeListChatModel({ responses: ['Two refund tickets are open: T-17 and T-42.'] })

  return privpath.startTask({ taskId, tenantId: TENANT, agentId: AGENT_ID, agentName: 'triage' }, async () => {
    const messages: BaseMessage[] = [new HumanMessage('Which refund tickets are open?')]
    const proposal = await planner.invoke(messages)
    messages.push(proposal)
    for (const call of proposal.tool_calls ?? []) messages.push(await searchTickets.invoke(call))
    const answer = await responder.invoke(messages)
    return { taskId, answer: String(answer.content) }
  })
}
