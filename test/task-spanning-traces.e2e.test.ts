/**
 * A conversation is one task over several traces (one per turn): the end of a turn's trace is
 * not the end of the task, so a credential issued in turn 1 may be used in the turns after it;
 * once the agent sends `agent.task.end`, a use in a later turn is a use after the task's end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Alert } from '../core/alert.js'
import { postOtlp, startTestApp, type TestApp } from '../testkit/app.js'
import { waitFor } from '../testkit/wait.js'

const RULE = 'credential-used-after-task-end'
const CONVERSATION = 'conv-spanning'
const CREDENTIAL = 'cred-conv-1'
/** Turns a minute apart, well in the past: nothing here depends on the wall clock. */
const T0 = Date.now() - 10 * 60_000
const TURN_MS = 60_000

let t: TestApp
const alerts: Alert[] = []

beforeAll(async () => {
  t = await startTestApp({ roles: ['collector', 'detector'] })
  await t.app.bus.subscribe('alerts', { group: 'spanning-test', fromBeginning: true }, async (batch) => {
    alerts.push(...batch.map((m) => m.value))
  })
})
afterAll(async () => {
  await t?.app.stop()
})

const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n)
const attributes = (values: Record<string, string>) => Object.entries(values).map(([key, value]) => ({ key, value: { stringValue: value } }))
const traceId = (turn: number) => `${turn}`.repeat(32)
const spanId = (turn: number, n: number) => `${turn}${n}`.padEnd(16, '0')

interface TurnOptions {
  issue?: boolean
  use?: boolean
  endTask?: boolean
}

/**
 * Turn `turn` as its own trace: a root span naming the conversation, a tool span that issues the
 * credential (turn 1) or presents it, and optionally `agent.task.end` on the root at its end.
 */
function turnBody(turn: number, options: TurnOptions): string {
  const start = T0 + (turn - 1) * TURN_MS
  const tool = {
    traceId: traceId(turn),
    spanId: spanId(turn, 2),
    parentSpanId: spanId(turn, 1),
    name: 'execute_tool query_db',
    kind: 1,
    startTimeUnixNano: nanos(start + 20),
    endTimeUnixNano: nanos(start + 40),
    attributes: attributes({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'query_db',
      ...(options.use ? { 'credential.id': CREDENTIAL } : {}),
    }),
    events: options.issue
      ? [{ name: 'credential.issued', timeUnixNano: nanos(start + 30), attributes: attributes({ 'credential.id': CREDENTIAL, 'credential.type': 'oauth_token', 'credential.ttl_s': '3600' }) }]
      : [],
    status: {},
  }
  const root = {
    traceId: traceId(turn),
    spanId: spanId(turn, 1),
    name: 'invoke_agent assistant',
    kind: 1,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(start + 100),
    attributes: attributes({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': 'assistant', 'gen_ai.conversation.id': CONVERSATION, 'tenant.id': 'acme' }),
    events: options.endTask ? [{ name: 'agent.task.end', timeUnixNano: nanos(start + 100), attributes: [] }] : [],
    status: {},
  }
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'agent' }, spans: [tool, root] }] }] })
}

async function send(turn: number, options: TurnOptions): Promise<void> {
  const response = await postOtlp(`${t.app.url}/v1/traces`, turnBody(turn, options), { 'content-type': 'application/json' })
  expect(response.status, `turn ${turn}`).toBe(200)
}

describe('a task that spans traces', () => {
  it('keeps a credential in scope over the turns of a conversation, and out of it after agent.task.end', async () => {
    await send(1, { issue: true })
    await send(2, { use: true })
    await send(3, { use: true, endTask: true })
    await send(4, { use: true })

    // One task, one partition, stepped in order: once turn 4's alert is out, any alert of turns 2
    // and 3 would have been out before it, and the same dedup key would have made it the same alert.
    await waitFor(() => alerts.some((alert) => alert.rule_id === RULE), 20_000, `a ${RULE} alert`).catch((error: Error) => {
      throw new Error(`${error.message}; alerts: ${JSON.stringify(alerts.map((a) => a.rule_id))}`)
    })
    const raised = alerts.filter((alert) => alert.rule_id === RULE)
    const turn4 = T0 + 3 * TURN_MS + 20
    for (const alert of raised) {
      expect(alert).toMatchObject({ task_id: CONVERSATION, count: 1, first_seen: turn4, last_seen: turn4 })
      expect(alert.summary).toContain(`credential ${CREDENTIAL} of task ${CONVERSATION} used in task ${CONVERSATION}`)
    }
  })
})
