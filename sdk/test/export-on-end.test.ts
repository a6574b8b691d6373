import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { createPrivpath, ExportOnEndSpanProcessor, TaskAttributesSpanProcessor } from '../src/index.js'
import { relevantSpansExported } from '../src/export-on-end.js'
import { isDecisionRelevant } from '../src/relevant.js'
import { harness, TASK } from './harness.js'

/** An exporter that holds each export until the test finishes it, and tells when one starts. */
class HeldExporter implements SpanExporter {
  readonly exports: Array<{ names: string[]; finish(): void }> = []
  private started: (() => void) | undefined
  private released = false

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let finished = false
    const finish = () => {
      if (!finished) done({ code: ExportResultCode.SUCCESS })
      finished = true
    }
    this.exports.push({ names: spans.map((span) => span.name), finish })
    this.started?.()
    if (this.released) finish()
  }

  /** Finishes every export, held or to come, so no export is left waiting after a test. */
  release(): void {
    this.released = true
    for (const held of this.exports) held.finish()
  }

  nextExport(): Promise<void> {
    return new Promise((resolve) => (this.started = resolve))
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const exporters: HeldExporter[] = []
afterEach(() => {
  for (const exporter of exporters.splice(0)) exporter.release()
})

function exportingOnEnd() {
  harness() // the global context manager
  const exporter = new HeldExporter()
  exporters.push(exporter)
  // A timer no test outlives: anything exported came from the export on end.
  const batch = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 600_000 })
  const provider = new BasicTracerProvider({
    spanProcessors: [new TaskAttributesSpanProcessor(), new ExportOnEndSpanProcessor(batch)],
  })
  return { exporter, provider, privpath: createPrivpath({ tracerProvider: provider }) }
}

describe('ExportOnEndSpanProcessor', () => {
  it('exports a decision-relevant span as it ends, with what was batched before it, and leaves the rest batched', async () => {
    const { exporter, provider, privpath } = exportingOnEnd()
    provider.getTracer('http').startSpan('GET /health').end()
    await relevantSpansExported()
    expect(exporter.exports).toEqual([])

    const started = exporter.nextExport()
    privpath.recordPrompt('hello', { model: 'gpt-4o' })
    await started
    expect(exporter.exports.map((batch) => batch.names)).toEqual([['GET /health', 'chat gpt-4o']])
    exporter.exports[0].finish()
  })

  it('coalesces: spans ending during an export go out together in one export after it', async () => {
    const { exporter, privpath } = exportingOnEnd()
    privpath.recordPrompt('first', { model: 'm1' })
    expect(exporter.exports).toHaveLength(1)
    privpath.recordPrompt('second', { model: 'm2' })
    privpath.toolCall('lookup', {}, () => undefined)
    privpath.reasoningStep()
    expect(exporter.exports).toHaveLength(1)

    const second = exporter.nextExport()
    exporter.exports[0].finish()
    await second
    expect(exporter.exports.map((batch) => batch.names)).toEqual([['chat m1'], ['chat m2', 'execute_tool lookup', 'reasoning']])
    let settled = false
    const exported = relevantSpansExported().then(() => (settled = true))
    exporter.exports[1].finish()
    await exported
    expect(settled).toBe(true)
    expect(exporter.exports).toHaveLength(2)
  })

  it('makes a decision wait until the spans it depends on are exported', async () => {
    const { exporter, privpath } = exportingOnEnd()
    const order: string[] = []
    const fetch = async () => {
      order.push('asked')
      return new Response(JSON.stringify({ decision: true, context: { id: 'dec-1' } }), { status: 200 })
    }
    privpath.configure({ decisions: { endpoint: 'http://privpath.invalid', fetch } })
    await privpath.startTask(TASK, async () => {
      privpath.recordPrompt('use the tool', { model: 'gpt-4o' })
      // Finished a macrotask later: a request not waiting for the export would be made first.
      setImmediate(() => {
        order.push('exported')
        exporter.exports[0].finish()
      })
      await privpath.toolCall('lookup', { check: true }, () => undefined)
    })
    expect(order).toEqual(['exported', 'asked'])
  })
})

describe('isDecisionRelevant', () => {
  const span = (name: string, attributes: Record<string, string> = {}, events: string[] = []) => ({
    name,
    attributes,
    events: events.map((event) => ({ name: event })),
    spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
  })

  it('knows model calls, tool calls, delegation and privilege events in the conventions privpath reads', () => {
    const relevant = [
      span('chat', { 'gen_ai.operation.name': 'chat' }),
      span('x', { 'gen_ai.operation.name': 'invoke_agent' }),
      span('llm', { 'openinference.span.kind': 'LLM' }),
      span('tool', { 'traceloop.span.kind': 'tool' }),
      span('ai.toolCall'),
      span('gen', { 'ai.operationId': 'ai.generateText.doGenerate' }),
      span('credential.revoked'),
      span('my step', {}, ['authz.decision']),
    ]
    for (const candidate of relevant) expect(isDecisionRelevant(candidate), candidate.name).toBe(true)
    const irrelevant = [span('GET /health', { 'http.method': 'GET' }), span('ai.embed'), span('step', { 'gen_ai.operation.name': 'embeddings' })]
    for (const candidate of irrelevant) expect(isDecisionRelevant(candidate), candidate.name).toBe(false)
  })
})
