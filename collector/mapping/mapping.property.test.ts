import fc from 'fast-check'
import Value from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { EventSchema } from '../../core/event.js'
import type { AnyValue, Attributes } from '../otlp/index.js'
import { logRecord, logRequest, span, traceRequest } from '../../testkit/otlp-builders.js'
import { mapLogRequest, mapTraceRequest } from './map.js'

/** Every key some mapper reads, so random values hit every parsing path. */
const KNOWN_KEYS = [
  'tenant.id', 'agent.task.id', 'baggage.agent.task.id', 'gen_ai.conversation.id', 'session.id', 'gen_ai.agent.id', 'gen_ai.agent.name',
  'agent.name', 'agent.workload.id', 'enduser.id', 'user.id', 'gen_ai.operation.name', 'gen_ai.system', 'gen_ai.request.model',
  'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions', 'gen_ai.prompt', 'gen_ai.prompt.0.role',
  'gen_ai.prompt.0.content', 'gen_ai.tool.name', 'gen_ai.tool.call.id', 'gen_ai.tool.call.arguments', 'target.tenant.id',
  'target.resource', 'url.full', 'credential.id', 'credential.scopes', 'credential.expires_at', 'credential.ttl_s', 'authz.result',
  'approval.result', 'agent.step.kind', 'agent.step.content', 'agent.delegation.scopes', 'openinference.span.kind', 'input.value',
  'llm.input_messages.0.message.role', 'llm.input_messages.0.message.content', 'llm.output_messages.0.message.contents.0.message_content.type',
  'traceloop.span.kind', 'traceloop.entity.name', 'traceloop.entity.input', 'llm.request.type', 'ai.operationId', 'ai.prompt',
  'ai.prompt.messages', 'ai.response.reasoning', 'ai.toolCall.name', 'ai.toolCall.args', 'event.name', 'content',
]
const KIND_VALUES = ['chat', 'execute_tool', 'invoke_agent', 'LLM', 'TOOL', 'AGENT', 'tool', 'agent', 'reasoning', 'ai.generateText', 'ai.toolCall', 'allow', 'granted']

const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string(),
    fc.constantFrom(...KIND_VALUES),
    fc.constantFrom('[{"role":"user","parts":[{"type":"reasoning","content":1}]}]', '{"messages":[null]}', '[1,[2]]', '{', 'null'),
    fc.double(),
    fc.boolean(),
    fc.bigInt(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('role', 'parts', 'type', 'content', 'text', 'messages', 'system', 'prompt', 'x'), tie('value'), { maxKeys: 4 }),
  ),
})).value

const attributes: fc.Arbitrary<Attributes> = fc.dictionary(fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string()), anyValue, { maxKeys: 12 })
const contractNames = fc.oneof(fc.constantFrom('credential.issued', 'credential.used', 'authz.decision', 'approval', 'agent.task.start', 'gen_ai.user.message', 'gen_ai.content.prompt', 'exception'), fc.string())

describe('mapper robustness', () => {
  it('maps arbitrary attribute values on spans and span events without throwing; every event fits the schema', () => {
    fc.assert(
      fc.property(attributes, attributes, contractNames, contractNames, fc.boolean(), (spanAttributes, eventAttributes, spanName, eventName, capture) => {
        const records = mapTraceRequest(
          traceRequest([span({ spanId: 'ab', name: spanName, attributes: spanAttributes, events: [{ name: eventName, atMs: 1, attributes: eventAttributes }] })], eventAttributes),
          { captureContent: capture, maxContentChars: 64, authTenant: 'acme' },
        )
        for (const event of records[0].events) {
          expect(Value.Check(EventSchema, event)).toBe(true)
          expect(event.tenant_id).toBe('acme')
          expect(event.content.length).toBeLessThanOrEqual(64)
        }
      }),
      { numRuns: 400 },
    )
  })

  it('maps arbitrary log records without throwing', () => {
    fc.assert(
      fc.property(attributes, anyValue, contractNames, (logAttributes, body, eventName) => {
        const records = mapLogRequest(logRequest([logRecord({ eventName, body, attributes: logAttributes })]))
        for (const event of records[0].events) expect(Value.Check(EventSchema, event)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('a secret in any content-bearing attribute never leaves the mapper', () => {
    const secret = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'
    const keys = ['gen_ai.input.messages', 'gen_ai.tool.call.arguments', 'input.value', 'ai.prompt', 'agent.step.content', 'url.full', 'custom.thing', 'output.value']
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.constantFrom('chat', 'execute_tool', 'other'), fc.string(), fc.string(), (key, operation, before, after) => {
        const value = key === 'gen_ai.input.messages' ? [{ role: 'user', parts: [{ type: 'text', content: `${before} ${secret} ${after}` }] }] : `${before} ${secret} ${after}`
        const records = mapTraceRequest(traceRequest([span({ spanId: 'cd', attributes: { 'gen_ai.operation.name': operation, [key]: value } })]))
        expect(JSON.stringify(records[0].events)).not.toContain(secret.slice(4, 20))
      }),
      { numRuns: 300 },
    )
  })
})
