import { describe, expect, it } from 'vitest'
import { isRememberedClean } from '../redact/index.js'
import { BUILT_AT_MS, span, traceRequest } from '../../testkit/otlp-builders.js'
import { mapTraceRequest, MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTES } from './index.js'
import type { MappingOptions } from './record.js'

const GHP = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'

function mapOne(init: Parameters<typeof span>[0], options: MappingOptions = {}) {
  return mapTraceRequest(traceRequest([span(init)]), { observedAt: BUILT_AT_MS, ...options })[0].events
}

const chat = (content: string) => ({
  spanId: 'p1',
  attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content }] }] },
})

describe('redaction in the mapper', () => {
  it('remembers repeated names and attribute values found clean, never content', () => {
    mapOne({
      spanId: 'p0',
      name: 'execute_tool remembered-tool',
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.call.arguments': '{"to":"jane@example.com"}',
        'gen_ai.request.model': 'remembered-model',
        'gen_ai.input.messages': 'Call Jane on Friday',
        'server.address': 'remembered.example.com',
      },
      status: { code: 2, message: 'Jane is not allowed' },
    })
    expect(isRememberedClean('execute_tool remembered-tool')).toBe(true)
    expect(isRememberedClean('remembered-model')).toBe(true)
    expect(isRememberedClean('remembered.example.com')).toBe(true)
    expect(isRememberedClean('{"to":"jane@example.com"}')).toBe(false)
    expect(isRememberedClean('Call Jane on Friday')).toBe(false)
    expect(isRememberedClean('Jane is not allowed')).toBe(false)
  })

  it('keeps number and boolean attributes as text, unremembered, and redacts them only under a secret name', () => {
    const [event] = mapOne({
      spanId: 'p9',
      attributes: { 'gen_ai.usage.input_tokens': 918_273, 'http.response.status_code': 200, 'cache.hit': true, 'db.password': 123456, 'pin.code': 4242 },
    })
    expect(event.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': '918273', 'http.response.status_code': '200', 'cache.hit': 'true', 'pin.code': '4242' })
    expect(event.attributes['db.password']).toBe('[REDACTED:sensitive_attribute]')
    expect(event.attributes['redaction.kinds']).toBe('sensitive_attribute')
    expect(event.flags).toContain('secret_redacted')
    expect(isRememberedClean('918273')).toBe(false)
  })

  it('redacts prompt content and flags it with the kinds found', () => {
    const [event] = mapOne(chat(`use token ${GHP} and password=hunter2`))
    expect(event.content).toBe('user: use token [REDACTED:github_token] and password=[REDACTED:secret_assignment]')
    expect(event.flags).toContain('secret_redacted')
    expect(event.attributes['redaction.kinds']).toBe('github_token,secret_assignment')
  })

  it('redacts tool arguments, targets, errors, names and attribute values', () => {
    const [event] = mapOne({
      spanId: 'p2',
      name: `call ${GHP}`,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.call.arguments': '{"headers":{"Authorization":"Bearer abcdefgh12345"}}',
        'url.full': 'https://bot:s3cr3tpass@api.example.com/v1',
        'http.request.header.authorization': 'anything',
        'custom.note': `see ${GHP}`,
      },
      status: { code: 2, message: `failed with ${GHP}` },
    })
    expect(event.tool_arguments).toBe('{"headers":{"Authorization":"Bearer [REDACTED:authorization_header]"}}')
    expect(event.target_resource).toBe('https://bot:[REDACTED:url_password]@api.example.com/v1')
    expect(event.error).toBe('failed with [REDACTED:github_token]')
    expect(event.name).toBe('call [REDACTED:github_token]')
    expect(event.attributes['http.request.header.authorization']).toBe('[REDACTED:sensitive_attribute]')
    expect(event.attributes['custom.note']).toBe('see [REDACTED:github_token]')
    expect(JSON.stringify(event)).not.toContain(GHP)
  })

  it('no flag and no redaction.kinds when nothing was found', () => {
    const [event] = mapOne(chat('what is the weather in Oslo?'))
    expect(event.flags).toEqual([])
    expect(event.attributes).not.toHaveProperty('redaction.kinds')
  })
})

describe('content capture and truncation', () => {
  it('captureContent: false empties content, tool arguments and content-bearing attributes', () => {
    const [prompt] = mapOne({ ...chat('secret plan'), attributes: { ...chat('secret plan').attributes, 'gen_ai.output.messages': '[]', 'output.value': 'x' } }, {
      captureContent: false,
    })
    expect(prompt.content).toBe('')
    expect(prompt.attributes).not.toHaveProperty('gen_ai.output.messages')
    expect(prompt.attributes).not.toHaveProperty('output.value')
    const [tool] = mapOne({ spanId: 'p3', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'x', 'gen_ai.tool.call.arguments': '{"a":1}' } }, { captureContent: false })
    expect(tool).toMatchObject({ tool_name: 'x', tool_arguments: '' })
  })

  it('keeps content-bearing leftovers when capture is on', () => {
    const [prompt] = mapOne({ ...chat('q'), attributes: { ...chat('q').attributes, 'output.value': 'answer' } })
    expect(prompt.attributes['output.value']).toBe('answer')
  })

  it('maxContentChars truncates after redaction and flags content_truncated', () => {
    const [event] = mapOne(chat(`${GHP} ${'x'.repeat(100)}`), { maxContentChars: 40 })
    expect(event.content).toBe(`user: [REDACTED:github_token] ${'x'.repeat(10)}`)
    expect(event.content).toHaveLength(40)
    expect(event.flags).toEqual(expect.arrayContaining(['content_truncated', 'secret_redacted']))
    expect(mapOne(chat('short'), { maxContentChars: 40 })[0].flags).toEqual([])
  })
})

describe('huge values', () => {
  it('cuts before redacting, still redacts what is kept, and flags the cut', () => {
    const huge = `${'a '.repeat(1_000)}${GHP} ${'word '.repeat(400_000)}`
    const [event] = mapOne(chat(huge), { maxContentChars: 4_096 })
    expect(event.content).toHaveLength(4_096)
    expect(event.content).toContain('[REDACTED:github_token]')
    expect(event.content).not.toContain(GHP)
    expect(event.flags).toEqual(expect.arrayContaining(['content_truncated', 'secret_redacted']))
  })
})

describe('credential id fingerprints', () => {
  it('replaces a raw-secret credential id with its sha256 fingerprint', () => {
    const events = mapOne({ spanId: 'p4', events: [{ name: 'credential.issued', atMs: BUILT_AT_MS + 1, attributes: { 'credential.id': GHP } }] })
    expect(events[1].credential_id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(events[1].flags).toContain('credential_id_fingerprinted')
    const again = mapOne({ spanId: 'p5', events: [{ name: 'credential.used', atMs: BUILT_AT_MS + 2, attributes: { 'credential.id': GHP } }] })
    expect(again[1].credential_id).toBe(events[1].credential_id)
  })

  it('keeps handles such as UUIDs as they are', () => {
    const events = mapOne({ spanId: 'p6', events: [{ name: 'credential.used', atMs: BUILT_AT_MS + 1, attributes: { 'credential.id': '550e8400-e29b-41d4-a716-446655440000' } }] })
    expect(events[1]).toMatchObject({ credential_id: '550e8400-e29b-41d4-a716-446655440000', flags: [] })
  })
})

describe('bounded attributes', () => {
  it('caps the count and value length and records how many were dropped', () => {
    const attributes: Record<string, string> = {}
    for (let i = 0; i < MAX_ATTRIBUTES + 10; i++) attributes[`k${i}`] = 'v'
    attributes.k0 = 'y'.repeat(MAX_ATTRIBUTE_CHARS + 50)
    const [event] = mapOne({ spanId: 'p7', attributes })
    expect(Object.keys(event.attributes)).toHaveLength(MAX_ATTRIBUTES + 1)
    expect(event.attributes.k0).toHaveLength(MAX_ATTRIBUTE_CHARS)
    // 10 surplus span attributes plus the otel.scope.name context entry
    expect(event.attributes['privpath.attributes_dropped']).toBe('11')
  })
})

describe('tenant and isolation domain', () => {
  const claiming = (tenant: string) => traceRequest([span({ spanId: 's1', attributes: { 'tenant.id': tenant } })])
  const first = (options: MappingOptions, tenant = 'acme') => mapTraceRequest(claiming(tenant), options)[0].events[0]

  it("a tenant key's tenant is both the tenant and the domain, whatever the data claims", () => {
    const event = first({ authTenant: 'globex' }, 'acme')
    expect([event.tenant_id, event.domain]).toEqual(['globex', 'globex'])
    expect(event.flags).toContain('tenant_mismatch')
  })

  it('an admin key ingests for the tenant the data names, in the deployment domain', () => {
    const event = first({ authTenant: '*' }, 'acme')
    expect([event.tenant_id, event.domain]).toEqual(['acme', ''])
    expect(event.flags).not.toContain('tenant_mismatch')
  })

  it('without keys the domain is the deployment', () => {
    const event = first({}, 'acme')
    expect([event.tenant_id, event.domain]).toEqual(['acme', ''])
  })
})
