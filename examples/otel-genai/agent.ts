/**
 * An agent instrumented by hand with the OpenTelemetry GenAI semantic conventions and no privpath
 * code at all: an `invoke_agent` span, a `chat` span and an `execute_tool` span with `gen_ai.*`
 * attributes. The tenant is a property of the deployment, so it goes on the tracer provider's
 * resource (`RESOURCE`); only the task span names the task (`agent.task.id`), and privpath places
 * the child spans in it through the trace's parent links.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span, type TracerProvider } from '@opentelemetry/api'

export const TENANT = 'initech'
export const AGENT_ID = 'report-agent'
/** Resource attributes of the agent's tracer provider. */
export const RESOURCE = { 'service.name': 'report-agent', 'tenant.id': TENANT }

export interface GenAiAgentRun {
  taskId: string
  report: string
}

/** Stand-in for a model client: returns a tool call for the metrics query. */
function callModel(): { toolCallId: string; toolName: string; arguments: { metric: string } } {
  return { toolCallId: 'call-metrics-1', toolName: 'query_metrics', arguments: { metric: 'revenue' } }
}

function queryMetrics(metric: string): number {
  return metric === 'revenue' ? 1250 : 0
}

async function inSpan<T>(span: Span, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), fn)
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    throw error
  } finally {
    span.end()
  }
}

export async function run(tracerProvider: TracerProvider, taskId = 'genai-task-1'): Promise<GenAiAgentRun> {
  const tracer = tracerProvider.getTracer('report-agent', '1.0.0')
  const agentSpan = tracer.startSpan('invoke_agent report', {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': AGENT_ID,
      'gen_ai.agent.name': 'report',
      'agent.task.id': taskId,
    },
  })
  return inSpan(agentSpan, async () => {
    const prompt = 'What was revenue last week?'
    const chatSpan = tracer.startSpan('chat gpt-4o-mini', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]),
      },
    })
    const call = await inSpan(chatSpan, () => {
      const proposed = callModel()
      chatSpan.setAttribute(
        'gen_ai.output.messages',
        JSON.stringify([
          {
            role: 'assistant',
            parts: [{ type: 'tool_call', id: proposed.toolCallId, name: proposed.toolName, arguments: proposed.arguments }],
          },
        ]),
      )
      return proposed
    })
    const toolSpan = tracer.startSpan(`execute_tool ${call.toolName}`, {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': call.toolName,
        'gen_ai.tool.call.id': call.toolCallId,
        'gen_ai.tool.call.arguments': JSON.stringify(call.arguments),
        'target.tenant.id': TENANT,
        'target.resource': 'prometheus://initech/revenue',
      },
    })
    const value = await inSpan(toolSpan, () => queryMetrics(call.arguments.metric))
    return { taskId, report: `Revenue last week: ${value}` }
  })
}
