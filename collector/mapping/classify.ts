/**
 * Which convention a span follows and what kind of event it is. First match wins, most specific
 * first: our contract (span named like a contract event, `agent.step.kind`), an MCP span
 * (`mcp.method.name`), OTel GenAI `gen_ai.operation.name`, OpenInference, OpenLLMetry, Vercel AI
 * SDK, then pre-1.36 GenAI spans.
 */
import type { EventKind, EventSource } from '../../core/event.js'
import type { AttributeReader } from './attributes.js'
import { contractKind } from './contract.js'

export interface SpanShape {
  kind: EventKind
  source: EventSource
  invokesAgent: boolean
  /** The MCP method of an MCP span (`mcp.method.name`), '' for any other span. */
  mcp: string
  /** A memory operation (`create_memory`, `search_memory`, …): the `memory.<verb>` tool it calls, else ''. */
  memoryTool: string
}

const GENAI_PROMPT_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content'])
const VERCEL_PROMPT_OPERATIONS = new Set([
  'ai.generateText',
  'ai.streamText',
  'ai.generateObject',
  'ai.streamObject',
  'ai.generateText.doGenerate',
  'ai.streamText.doStream',
  'ai.generateObject.doGenerate',
  'ai.streamObject.doStream',
])

/**
 * GenAI operations that call an agent: `invoke_agent`, and `invoke_workflow`, whose span the
 * conventions merged into the internal agent span (the workflow named by `gen_ai.agent.name`,
 * else `gen_ai.workflow.name`, see span.ts).
 */
const GENAI_AGENT_OPERATIONS = new Set(['invoke_agent', 'invoke_workflow'])
/** `create_memory`, `search_memory`, `update_memory`, `delete_memory`, … → `memory.create`, … */
const MEMORY_OPERATION = /^([a-z]+)_memory$/

function shape(kind: EventKind, source: EventSource, invokesAgent = false, mcp = '', memoryTool = ''): SpanShape {
  return { kind, source, invokesAgent, mcp, memoryTool }
}

export function classifySpan(name: string, reader: AttributeReader): SpanShape {
  const contract = contractKind(name)
  if (contract) return shape(contract, 'privpath')
  if (reader.string('agent.step.kind').toLowerCase() === 'reasoning') return shape('reasoning_step', 'privpath')

  const method = reader.peek('mcp.method.name')
  if (method !== '') {
    // a tools/call span also says execute_tool; every other method (tools/list, initialize, …) is context
    reader.consume('gen_ai.operation.name')
    return shape(method === 'tools/call' ? 'tool_invocation' : 'other', 'gen_ai', false, method)
  }

  const operation = reader.string('gen_ai.operation.name')
  if (operation !== '') {
    if (GENAI_PROMPT_OPERATIONS.has(operation)) return shape('prompt', 'gen_ai')
    if (operation === 'execute_tool' || operation === 'retrieval') return shape('tool_invocation', 'gen_ai')
    if (GENAI_AGENT_OPERATIONS.has(operation)) return shape('other', 'gen_ai', true)
    if (operation === 'plan') return shape('reasoning_step', 'gen_ai')
    if (operation === 'apply_guardrail') return shape('guardrail', 'gen_ai')
    const memory = MEMORY_OPERATION.exec(operation)
    if (memory) return shape('tool_invocation', 'gen_ai', false, '', `memory.${memory[1]}`)
    return shape('other', 'gen_ai')
  }

  const openinference = reader.string('openinference.span.kind').toUpperCase()
  if (openinference !== '') {
    if (openinference === 'LLM') return shape('prompt', 'openinference')
    if (openinference === 'TOOL' || openinference === 'RETRIEVER') return shape('tool_invocation', 'openinference')
    if (openinference === 'AGENT') return shape('other', 'openinference', true)
    if (openinference === 'GUARDRAIL') return shape('guardrail', 'openinference')
    return shape('other', 'openinference')
  }

  const traceloop = reader.string('traceloop.span.kind').toLowerCase()
  if (traceloop !== '') {
    if (traceloop === 'tool') return shape('tool_invocation', 'openllmetry')
    if (traceloop === 'agent') return shape('other', 'openllmetry', true)
    return shape('other', 'openllmetry')
  }
  if (reader.has('llm.request.type')) {
    const type = reader.string('llm.request.type')
    return shape(type === 'chat' || type === 'completion' ? 'prompt' : 'other', 'openllmetry')
  }

  const vercel = reader.has('ai.operationId') ? reader.string('ai.operationId') : name
  if (VERCEL_PROMPT_OPERATIONS.has(vercel)) return shape('prompt', 'vercel_ai')
  if (vercel === 'ai.toolCall') return shape('tool_invocation', 'vercel_ai')
  if (vercel.startsWith('ai.')) return shape('other', 'vercel_ai')

  const legacyPrompt = reader.has('gen_ai.prompt') || Object.keys(reader.attributes).some((key) => key.startsWith('gen_ai.prompt.'))
  if (reader.has('gen_ai.system') || legacyPrompt) return shape(legacyPrompt || reader.has('gen_ai.request.model') ? 'prompt' : 'other', 'gen_ai')
  return shape('other', 'otel')
}
