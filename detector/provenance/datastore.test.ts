/** A GenAI `datastore` tool is a retrieval source: what it returns is untrusted output whatever the tool is called. */
import { describe, expect, it } from 'vitest'
import { engineWith, ev, rulesFrom } from '../../testkit/detector.js'

const RULES = rulesFrom(`
id: origin
title: where the arguments came from
description: the origin of a payment's arguments
severity: info
status: test
on: [tool_invocation]
when: event.tool_name = "payments.transfer"
summary: '$join(provenance.arguments.origin, ",")'
`)

const lookup = (attributes: Record<string, string>) =>
  ev({ kind: 'tool_invocation', tool_name: 'kb.lookup', tool_result: 'Supplier account: DE89370400440532013000', attributes, ts: 1_000 })
const pay = ev({ kind: 'tool_invocation', tool_name: 'payments.transfer', tool_arguments: '{"iban":"DE89370400440532013000"}', ts: 2_000 })

describe('datastore tools', () => {
  it('their results are untrusted tool output; other tools of a name outside the untrusted patterns are not', async () => {
    const [fromDatastore] = await engineWith(RULES).processBatch([lookup({ 'gen_ai.tool.type': 'datastore' }), { ...pay }])
    expect(fromDatastore.summary).toBe('untrusted_tool')
    const [fromFunction] = await engineWith(RULES).processBatch([lookup({ 'gen_ai.tool.type': 'function' }), { ...pay, event_id: 'pay-2' }])
    expect(fromFunction.summary).toBe('tool')
  })
})
