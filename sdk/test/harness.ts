import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { createPrivpath, type Privpath } from '../src/index.js'
import { TaskAttributesSpanProcessor } from '../src/processor.js'

export interface Harness {
  privpath: Privpath
  provider: BasicTracerProvider
  exporter: InMemorySpanExporter
  spans(): ReadableSpan[]
  span(name: string): ReadableSpan
}

let contextManagerSet = false

export function harness(captureContent = false): Harness {
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    contextManagerSet = true
  }
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    spanProcessors: [new TaskAttributesSpanProcessor(), new SimpleSpanProcessor(exporter)],
  })
  const privpath = createPrivpath({ tracerProvider: provider, captureContent })
  const spans = () => exporter.getFinishedSpans()
  const span = (name: string) => {
    const found = spans().filter((s) => s.name === name)
    if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}: ${spans().map((s) => s.name).join(', ')}`)
    return found[0]
  }
  return { privpath, provider, exporter, spans, span }
}

export const TASK = {
  taskId: 'task-1',
  tenantId: 'acme',
  agentId: 'agent-planner',
  agentName: 'planner',
  workloadId: 'spiffe://acme/agents/planner',
  userId: 'alice',
} as const

export const TASK_ATTRIBUTES = {
  'tenant.id': 'acme',
  'agent.task.id': 'task-1',
  'gen_ai.agent.id': 'agent-planner',
  'gen_ai.agent.name': 'planner',
  'agent.workload.id': 'spiffe://acme/agents/planner',
  'enduser.id': 'alice',
}
