/**
 * A support agent on the Vercel AI SDK: `generateText` with a tool, telemetry on
 * (`experimental_telemetry`), run inside a privpath task. The model is the AI SDK's mock so the
 * example runs offline; swap in any provider model and nothing else changes.
 *
 * privpath sees the AI SDK's own spans (`ai.generateText`, `ai.generateText.doGenerate`,
 * `ai.toolCall`): the task span's baggage puts `agent.task.id` / `tenant.id` on each of them
 * through the TaskAttributesSpanProcessor, and the tool adds where it reaches (`target.*`) to its
 * own `ai.toolCall` span. Requires a global context manager (setupPrivpath or the OTel Node SDK).
 */
import { trace, type TracerProvider } from '@opentelemetry/api'
import { createPrivpath } from '@privpath/sdk'
import { generateText, jsonSchema, stepCountIs, tool } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'

export interface VercelAgentRun {
  taskId: string
  text: string
}

export const TENANT = 'acme'
export const AGENT_ID = 'support-agent'

const usage = {
  inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 8, text: 8, reasoning: 0 },
}

/** Step 1: the model asks for the order lookup; step 2: it answers from the tool result. */
function scriptedModel(orderId: string): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider: 'mock-provider',
    modelId: 'mock-support-model',
    doGenerate: [
      {
        content: [{ type: 'tool-call', toolCallId: 'call-lookup-1', toolName: 'lookupOrder', input: JSON.stringify({ orderId }) }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage,
        warnings: [],
      },
      {
        content: [{ type: 'text', text: `Order ${orderId} shipped yesterday.` }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage,
        warnings: [],
      },
    ],
  })
}

const lookupOrder = tool({
  description: 'Look up an order in the order service',
  inputSchema: jsonSchema<{ orderId: string }>({
    type: 'object',
    properties: { orderId: { type: 'string' } },
    required: ['orderId'],
    additionalProperties: false,
  }),
  execute: async ({ orderId }) => {
    trace.getActiveSpan()?.setAttributes({ 'target.tenant.id': TENANT, 'target.resource': `orders://acme/${orderId}` })
    return { orderId, status: 'shipped' }
  },
})

export async function run(tracerProvider: TracerProvider, taskId = 'vercel-task-1'): Promise<VercelAgentRun> {
  const privpath = createPrivpath({ tracerProvider })
  return privpath.startTask({ taskId, tenantId: TENANT, agentId: AGENT_ID, agentName: 'support' }, async () => {
    const result = await generateText({
      model: scriptedModel('A-1001'),
      tools: { lookupOrder },
      stopWhen: stepCountIs(3),
      prompt: 'Where is my order A-1001?',
      experimental_telemetry: {
        isEnabled: true,
        functionId: AGENT_ID,
        tracer: tracerProvider.getTracer('ai'),
      },
    })
    return { taskId, text: result.text }
  })
}
