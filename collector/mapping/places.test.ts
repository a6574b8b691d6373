import { describe, expect, it } from 'vitest'
import { emptyEvent, type PrivpathEvent } from '../../core/event.js'
import { BUILT_AT_MS, span, traceRequest } from '../../testkit/otlp-builders.js'
import { finishDrafts, resolveOptions } from './finish.js'
import { mapTraceRequest } from './index.js'
import type { MappingOptions } from './record.js'

const AWS = 'AKIAIOSFODNN7EXAMPLE'
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'

function mapOne(attributes: Record<string, unknown>, options: MappingOptions = {}): PrivpathEvent {
  return mapTraceRequest(traceRequest([span({ spanId: 'p1', attributes: attributes as never })]), { observedAt: BUILT_AT_MS, ...options })[0].events[0]
}

const message = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] })

describe('where a secret was', () => {
  it('places findings in prompt content by the role of their message', () => {
    const event = mapOne({
      'gen_ai.operation.name': 'chat',
      'gen_ai.input.messages': [
        message('system', 'You are a banking assistant.'),
        message('user', `deploy with ${AWS}`),
        message('assistant', 'Reading the file.'),
        message('tool', `session=${JWT}\n${PEM}`),
      ],
    })
    expect(event.attributes['redaction.where']).toBe('request:aws_access_key_id,tool_result:jwt,tool_result:pem_private_key')
    expect(event.attributes['redaction.kinds']).toBe('aws_access_key_id,jwt,pem_private_key')
    expect(event.attributes['redaction.categories']).toBe('credential,session')
  })

  it('places a tool_call_response part of a user message as a tool result', () => {
    const event = mapOne({
      'gen_ai.operation.name': 'chat',
      'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'summarise' }, { type: 'tool_call_response', id: 'c1', response: `key ${AWS}` }] }],
    })
    expect(event.attributes['redaction.where']).toBe('tool_result:aws_access_key_id')
  })

  it('places a tool span’s arguments and result attribute', () => {
    const event = mapOne({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'http.post',
      'gen_ai.tool.call.arguments': `{"auth":"Bearer ${JWT}"}`,
      'gen_ai.tool.call.result': `{"password": "hunter2"}`,
    })
    expect(event.attributes['redaction.where']).toBe('tool_arguments:jwt,tool_result:secret_assignment')
    expect(event.attributes['redaction.categories']).toBe('session,credential')
  })

  it('places model reasoning as model output, and secret-named attributes as attributes', () => {
    const event = mapOne({ 'agent.step.kind': 'reasoning', 'agent.step.content': `the key is ${AWS}`, 'db.password': 'x' })
    expect(event.kind).toBe('reasoning_step')
    expect(event.attributes['redaction.where']).toBe('attributes:sensitive_attribute,model_output:aws_access_key_id')
  })

  it('ignores placeholders the sender wrote itself and leaves clean events unannotated', () => {
    const event = mapOne({ 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': [message('user', 'was [REDACTED:jwt] and ord_Q7wE9rT2yU4iO6pA8sD1')] })
    expect(event.flags).not.toContain('secret_redacted')
    expect(event.attributes).not.toHaveProperty('redaction.where')
    expect(event.attributes).not.toHaveProperty('redaction.categories')
    const mixed = mapOne({ 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': [message('user', 'it said [REDACTED:pem_private_key]'), message('tool', AWS)] })
    expect(mixed.attributes['redaction.where']).toBe('tool_result:aws_access_key_id')
  })
})

describe('tool_result field', () => {
  const finish = (toolResult: string, options: MappingOptions = {}) => {
    const event = { ...emptyEvent(), kind: 'tool_invocation' as const, tool_name: 'mail.read', tool_result: toolResult }
    const record = { tenancy: { tenantId: 'acme', domain: '', settled: true, mismatch: '' }, idSpanId: 's1', context: [] }
    return finishDrafts([{ event, leftovers: [] }], record, resolveOptions({ observedAt: BUILT_AT_MS, ...options }))[0] as PrivpathEvent & { tool_result: string }
  }

  it('is redacted, placed and truncated like content', () => {
    const event = finish(`From: ops\nthe deploy key ${AWS}, IBAN GB29NWBK60161331926819`, { maxContentChars: 40 })
    expect(event.tool_result).toBe('From: ops\nthe deploy key [REDACTED:aws_a')
    expect(event.flags).toEqual(expect.arrayContaining(['secret_redacted', 'content_truncated']))
    expect(event.attributes['redaction.where']).toBe('tool_result:aws_access_key_id')
  })

  it('is dropped when content capture is off', () => {
    const event = finish(`key ${AWS}`, { captureContent: false })
    expect(event.tool_result).toBe('')
    expect(event.flags).not.toContain('secret_redacted')
  })
})
