/**
 * Which convention a span follows and what kind of event it is. First match wins, most specific
 * first: our contract (span named like a contract event, `agent.step.kind`), OTel GenAI
 * `gen_ai.operation.name`, OpenInference, OpenLLMetry, Vercel AI SDK, then pre-1.36 GenAI spans.
 */
import type { EventKind, EventSource } from '../../core/event.js'
import type { AttributeReader } from './attributes.js'
import { contractKind } from './contract.js'

export interface SpanShape {
  kind: EventKind
  source: EventSource
  invokesAgent: boolean
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

function shape(kind: EventKind, source: EventSource, invokesAgent = false): SpanShape {
  return { kind, source, invokesAgent }
}

export function classifySpan(name: string, reader: AttributeReader): SpanShape {
  const contract = contractKind(name)
  if (contract) return shape(contract, 'privpath')
  if (reader.string('agent.step.kind').toLowerCase() === 'reasoning') return shape('reasoning_step', 'privpath')

  const operation = reader.string('gen_ai.operation.name')
  if (operation !== '') {
    if (GENAI_PROMPT_OPERATIONS.has(operation)) return shape('prompt', 'gen_ai')
    if (operation === 'execute_tool') return shape('tool_invocation', 'gen_ai')
    if (operation === 'invoke_agent') return shape('other', 'gen_ai', true)
    return shape('other', 'gen_ai')
  }

  const openinference = reader.string('openinference.span.kind').toUpperCase()
  if (openinference !== '') {
    if (openinference === 'LLM') return shape('prompt', 'openinference')
    if (openinference === 'TOOL' || openinference === 'RETRIEVER') return shape('tool_invocation', 'openinference')
    if (openinference === 'AGENT') return shape('other', 'openinference', true)
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
