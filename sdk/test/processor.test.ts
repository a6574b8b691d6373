import { context, propagation } from '@opentelemetry/api'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import { describe, expect, it } from 'vitest'
import { harness, TASK } from './harness.js'

describe('TaskAttributesSpanProcessor', () => {
  it('copies task id and tenant from baggage onto spans of other instrumentations', () => {
    const h = harness()
    const foreign = h.provider.getTracer('some-http-client')
    h.privpath.startTask(TASK, () => foreign.startSpan('GET /invoices').end())
    expect(h.span('GET /invoices').attributes).toEqual({ 'agent.task.id': 'task-1', 'tenant.id': 'acme' })
  })

  it('copies baggage that arrived from an upstream service', () => {
    const h = harness()
    propagation.setGlobalPropagator(new W3CBaggagePropagator())
    const incoming = propagation.extract(context.active(), { baggage: 'agent.task.id=upstream-task,tenant.id=globex' })
    context.with(incoming, () => h.provider.getTracer('svc').startSpan('handle').end())
    expect(h.span('handle').attributes).toEqual({ 'agent.task.id': 'upstream-task', 'tenant.id': 'globex' })
  })

  it('keeps attributes a span already carries', () => {
    const h = harness()
    h.privpath.startTask(TASK, () =>
      h.provider.getTracer('x').startSpan('spoofed', { attributes: { 'tenant.id': 'globex' } }).end(),
    )
    expect(h.span('spoofed').attributes).toEqual({ 'tenant.id': 'globex', 'agent.task.id': 'task-1' })
  })

  it('leaves spans without task baggage alone', () => {
    const h = harness()
    h.provider.getTracer('x').startSpan('plain').end()
    expect(h.span('plain').attributes).toEqual({})
  })
})
